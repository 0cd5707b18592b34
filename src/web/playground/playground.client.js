// The playground's page script: GraphiQL with the contract's operations as tabs, HTTP for queries
// and mutations, graphql-ws on the same URL for subscriptions, and a sign-in bar whose token is
// sent unless the Headers tab sets an Authorization of its own.
(function () {
  'use strict';
  var settings = JSON.parse(document.getElementById('duban-playground').textContent);
  var endpoint = settings.endpoint;
  var wsUrl = location.origin.replace(/^http/, 'ws') + endpoint;
  var httpFetcher = GraphiQL.createFetcher({ url: endpoint });
  var token = sessionStorage.getItem('duban.token') || '';
  var username = sessionStorage.getItem('duban.username') || '';

  function headerAuthorization(headers) {
    for (var key in headers || {}) if (key.toLowerCase() === 'authorization') return headers[key];
    return undefined;
  }

  // One WebSocket per Authorization value: a new sign-in opens a new connection.
  var ws = null;
  var wsAuthorization = null;
  function wsClient(authorization) {
    if (!ws || wsAuthorization !== authorization) {
      if (ws) ws.dispose();
      ws = graphqlWs.createClient({ url: wsUrl, lazy: true, retryAttempts: 0, connectionParams: authorization ? { authorization: authorization } : {} });
      wsAuthorization = authorization;
    }
    return ws;
  }

  // The operation to run: the one named, or the document's only one (GraphiQL can send the name,
  // and the parsed document, of the tab shown a moment before), read from the text that is sent.
  function operationOf(params) {
    var operations = (params.query.match(/^[ \t]*(query|mutation|subscription)\b[ \t]*\w*/gm) || []).map(function (line) {
      var m = /(query|mutation|subscription)\b[ \t]*(\w*)/.exec(line);
      return { name: m[2] || null, kind: m[1] };
    });
    var named = operations.find(function (o) { return o.name === params.operationName; });
    return named || (operations.length === 1 ? operations[0] : null);
  }

  function asError(reason) {
    if (reason instanceof Error) return reason;
    if (reason && typeof reason.code === 'number') return new Error('WebSocket closed: ' + reason.code + ' ' + (reason.reason || ''));
    if (Array.isArray(reason)) return new Error(reason.map(function (e) { return e.message; }).join('; '));
    return new Error(String(reason));
  }

  function fetcher(params, opts) {
    var operation = operationOf(params);
    if (operation && operation.name !== params.operationName) params = Object.assign({}, params, { operationName: operation.name || undefined });
    var headers = Object.assign({}, opts && opts.headers);
    var authorization = headerAuthorization(headers) || (token ? 'Bearer ' + token : undefined);
    if (operation && operation.kind === 'subscription') {
      var client = wsClient(authorization);
      return {
        subscribe: function (observer) {
          var dispose = client.subscribe(params, {
            next: function (value) { observer.next(value); },
            error: function (reason) { observer.error(asError(reason)); },
            complete: function () { observer.complete(); },
          });
          return { unsubscribe: dispose };
        },
      };
    }
    if (authorization && !headerAuthorization(headers)) headers.Authorization = authorization;
    return httpFetcher(params, Object.assign({}, opts, { headers: headers, documentAST: undefined }));
  }

  // The sign-in bar.
  var form = document.getElementById('signin');
  var status = document.getElementById('signed-in');
  var signout = document.getElementById('signout');
  // Signed in: green; signed out: grey; a failed sign-in: red.
  function show(message, isError) {
    status.textContent = message;
    status.className = isError ? 'error' : token ? 'signed-in' : '';
    signout.hidden = !token;
  }
  function signIn(name, password) {
    show('Signing in…');
    fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation PlaygroundLogin($u: String!, $p: String!) { login(username: $u, password: $p) { token user { username role } } }',
        variables: { u: name, p: password },
      }),
    }).then(function (res) { return res.json(); }).then(function (body) {
      if (!body.data || !body.data.login) throw new Error((body.errors && body.errors[0] && body.errors[0].message) || 'sign-in failed');
      token = body.data.login.token;
      username = body.data.login.user.username + ' (' + body.data.login.user.role + ')';
      sessionStorage.setItem('duban.token', token);
      sessionStorage.setItem('duban.username', username);
      show('Signed in as ' + username + ': operations run with this token');
    }).catch(function (error) {
      show(error.message, true);
    });
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    signIn(form.elements.username.value, form.elements.password.value);
  });
  signout.addEventListener('click', function () {
    // The session ends on the server (logout), and its WebSocket with every subscription on it here.
    if (token) {
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
        body: JSON.stringify({ query: 'mutation PlaygroundLogout { logout }' }),
      }).catch(function () { /* signed out here either way */ });
    }
    if (ws) { ws.dispose(); ws = null; wsAuthorization = null; }
    token = '';
    username = '';
    sessionStorage.removeItem('duban.token');
    sessionStorage.removeItem('duban.username');
    show('Signed out');
  });
  var demo = document.getElementById('demo-accounts');
  if (settings.demoAccounts.length) demo.appendChild(document.createTextNode('Demo: '));
  settings.demoAccounts.forEach(function (name) {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = name;
    button.dataset.account = name;
    button.title = 'Sign in as ' + name + ' (password demo)';
    button.addEventListener('click', function () { signIn(name, 'demo'); });
    demo.appendChild(button);
  });
  show(token ? 'Signed in' + (username ? ' as ' + username : '') : 'Not signed in');

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: settings.tabs,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }));
})();
