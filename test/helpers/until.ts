/**
 * Resolves once `condition` holds, checking every few milliseconds; after `ms`, fails naming
 * `what`. For state the test cannot await directly (a subscriber registered on the server, a
 * message on another process's socket).
 */
export async function until(condition: () => boolean | Promise<boolean>, what = 'a condition', ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
