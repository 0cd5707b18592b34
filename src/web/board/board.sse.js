// Server-Sent Events for the board page, where a proxy refuses the WebSocket: one streamed GET per
// subscription (graphql-sse's distinct connections), the token as a header (which EventSource
// cannot send), resumed from a cursor given as `after` and as Last-Event-ID.
(function (D) {
  'use strict';

  /** Follows one subscription; returns its AbortController. `on` hears what happens to it. */
  function follow(url, query, variables, token, cursor, on) {
    var abort = new AbortController();
    var headers = { accept: 'text/event-stream', authorization: 'Bearer ' + token };
    if (cursor) headers['last-event-id'] = cursor;
    var address = url + '?query=' + encodeURIComponent(query) + '&variables=' + encodeURIComponent(JSON.stringify(variables));
    fetch(address, { headers: headers, signal: abort.signal }).then(function (res) {
      if (!res.ok || !res.body) {
        return res.json().then(function (body) { on.refused(res.status, (body && body.errors) || []); }, function () { on.ended(); });
      }
      on.opened();
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = '';
      var pump = function () {
        return reader.read().then(function (step) {
          if (step.done) { on.ended(); return undefined; }
          on.heard();
          buffer += decoder.decode(step.value, { stream: true });
          for (var at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
            var message = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            var event = '';
            var data = '';
            message.split('\n').forEach(function (line) {
              if (line.indexOf('event:') === 0) event = line.slice(6).trim();
              else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
            });
            // `result` answers whether the stream is still wanted.
            if (event === 'next' && data && !on.result(JSON.parse(data))) return undefined;
            if (event === 'complete') { on.ended(); return undefined; }
          }
          return pump();
        });
      };
      return pump();
    }).catch(function () { if (!abort.signal.aborted) on.ended(); });
    return abort;
  }

  D.sse = { follow: follow };
})(window.DubanBoard = window.DubanBoard || {});
