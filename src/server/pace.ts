/** Resolver calls run in one turn of the event loop before the next ones wait for a new turn. */
export const CALLS_PER_TURN = 256;

/**
 * Spreads the execution of one large response over turns of the event loop. graphql-js runs a
 * response's resolvers and completes their values in promise callbacks, which Node runs without
 * looking at the network in between: thousands of progress objects would hold the loop (and every
 * other request, `/healthz` included) for the whole execution. A resolver that awaits `pace()`
 * once its data is loaded goes on in the turn its call number falls in (every CALLS_PER_TURN calls,
 * one more `setImmediate`), so other requests are served between the turns. Calls after their
 * data is loaded keep the DataLoader batches of a turn whole; a board of a few hundred fields runs
 * in one turn as before.
 */
export function createPacer(perTurn = CALLS_PER_TURN): () => Promise<void> {
  let calls = 0;
  let turn: Promise<void> = Promise.resolve();
  return () => {
    calls += 1;
    if (calls % perTurn === 0) turn = turn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    return turn;
  };
}
