import { startTestServer, type TestServer } from './helpers/test-server';

/**
 * The projector reads the outbox only when there may be a fact to fold: an announcement of
 * events it knows hold none (its own, the notices', a comment's) costs it nothing, and a fact
 * announced after them is folded as before.
 */
let server: TestServer;
// No poll inside the test's windows: only announcements wake the projector.
beforeAll(async () => { server = await startTestServer({ env: { DUBAN_EVENT_POLL_MS: '60000' } }); });
afterAll(() => server.close());

const SUBMIT = 'mutation ($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } progress { actual } } }';

/** The projector's reads of its state row (one per page it looks for) while `work` runs. */
async function projectorReads(work: () => Promise<unknown>): Promise<number> {
  return (await server.statementsMatching(/from projection_state where id for update/, work)).length;
}

it('takes announcements of what it knows holds no fact as no news, and folds the next fact', async () => {
  const token = await server.token('lucheng');
  await server.ok(SUBMIT, { input: { indicator: 'P3-01', region: '330302', value: 61, asOf: '2019-06-30' } }, token);
  await server.projected();
  // Once more: the notices judged from it were announced, and the projector looked at them too.
  await server.projected();

  const head = String(server.services.events.head);
  const idle = await projectorReads(async () => {
    for (let i = 0; i < 5; i += 1) server.services.events.announce(head);
    await new Promise((r) => setTimeout(r, 300));
  });
  expect(idle).toBe(0);

  const folded = await projectorReads(async () => {
    await server.ok(SUBMIT, { input: { indicator: 'P3-01', region: '330302', value: 62, asOf: '2019-06-30' } }, token);
    await server.projected();
  });
  expect(folded).toBeGreaterThan(0);
  const { indicator } = await server.ok('{ indicator(code: "P3-01") { progress(region: "330302") { actual } } }', {}, token);
  expect(indicator.progress.actual).toBe(62);
});
