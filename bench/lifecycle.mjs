// What every benchmark does around its work: servers and cleanup steps stopped in reverse order,
// at the end or on Ctrl-C; and its HTTP posts, checked.

/** `cleanup` steps run last-first and `servers` stopped by `stopAll`, also on SIGINT. */
export function lifecycle(log) {
  const cleanup = [];
  const servers = [];
  const stopAll = async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    for (const step of cleanup.splice(0).reverse()) await step().catch((e) => log(`cleanup: ${e.message}`));
  };
  process.once('SIGINT', () => { log('interrupted'); void stopAll().then(() => process.exit(130)); });
  return { cleanup, servers, stopAll };
}

/** POSTs JSON; the response's text, or a thrown error with its status. */
export async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

/** A response with data and no GraphQL errors (checked on every response under load). */
export const looksRight = (body) => body.startsWith('{"data"') && !body.includes('"errors"');
