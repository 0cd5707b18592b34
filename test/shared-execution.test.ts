import { openSocket, type OpenSocket } from './helpers/socket';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/**
 * An event's payload is executed once per selection and authorization: two callers with different
 * scopes and the same document each get exactly what they would get alone, in either order; many
 * screens of one board share one execution; the shared state leaves with its last subscriber.
 */
let server: TestServer;
let admin: string;
let lucheng: string;
const sockets: OpenSocket[] = [];
let n = 0;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token('admin');
  lucheng = await server.token('lucheng');
});
afterEach(async () => { await Promise.all(sockets.splice(0).map((s) => s.dispose())); });
afterAll(() => server.close());

/** Selects the city's figure under a county's board: an ADMIN may read it, lucheng (鹿城区) may not. */
const CITY = `subscription($after: String) { boardEvents(programme: "P3", region: "330302", after: $after) {
  __typename cursor ... on ProgressChanged { indicator { city: progress(region: "330300") { actual } } } } }`;
const SUBMIT = 'mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';

async function subscriber(token: string) {
  const socket = openSocket(server.wsUrl, token);
  sockets.push(socket);
  await socket.connected;
  return socket.subscribe(CITY);
}

async function submit(): Promise<void> {
  await server.ok(SUBMIT, { input: { indicator: 'P3-01', region: '330302', value: 300 + (n += 1), asOf: '2019-06-30' } }, admin);
}

async function alone(token: string) {
  const board = await subscriber(token);
  await until(() => server.sharedStats().groups === 1, 'the subscription registered');
  await submit();
  await until(() => board.payloads.length >= 1, 'the event');
  // The notices judged from the figure come after its ProgressChanged: let them pass here, not into the next board.
  await server.projected();
  await Promise.all(sockets.splice(0).map((s) => s.dispose()));
  return board;
}

/** What a subscriber got for the event, the cursor aside (each event has its own), and the notices judged from it aside (test/notice.test.ts). */
const seen = (board: { payloads: any[]; errors: string[] }) => ({
  payloads: board.payloads.filter((p) => p?.boardEvents?.__typename !== 'NoticeChanged').map((p) => (p?.boardEvents ? { ...p.boardEvents, cursor: undefined } : p)),
  errors: board.errors,
});

it.each([
  ['the ADMIN first', ['admin', 'lucheng']],
  ['the REPORTER first', ['lucheng', 'admin']],
])('%s: each gets what it would alone', async (_, order) => {
  const tokens: Record<string, string> = { admin, lucheng };
  const solo = { admin: seen(await alone(admin)), lucheng: seen(await alone(lucheng)) };
  expect(solo.admin.payloads).toEqual([{ __typename: 'ProgressChanged', indicator: { city: { actual: expect.any(Number) } } }]);
  expect(solo.admin.errors).toEqual([]);
  expect(solo.lucheng.errors).toEqual(['FORBIDDEN']);
  expect(JSON.stringify(solo.lucheng.payloads)).not.toContain('actual');

  const boards: Record<string, Awaited<ReturnType<typeof subscriber>>> = {};
  for (const who of order) boards[who] = await subscriber(tokens[who]);
  await until(() => server.sharedStats().groups === 2, 'two groups: one per authorization');
  await submit();
  await until(() => boards.admin.payloads.length >= 1 && boards.lucheng.payloads.length >= 1, 'the event at both');
  await server.projected();
  // The admin's figure is the city's total after this submission: the same shape as alone.
  expect(seen(boards.lucheng)).toEqual(solo.lucheng);
  expect(seen(boards.admin)).toEqual({ payloads: [{ __typename: 'ProgressChanged', indicator: { city: { actual: expect.any(Number) } } }], errors: [] });
});

it('many screens of one board share one execution per event; the shared state goes with its last subscriber', async () => {
  const { createScreenToken } = await server.ok(`mutation($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token } }`,
    { input: { name: '共享屏', boards: [{ programme: 'P3', region: '330300' }] } }, admin);
  const QUERY = 'subscription { boardEvents(programme: "P3", region: "330300") { __typename cursor } }';
  const boards: Awaited<ReturnType<typeof subscriber>>[] = [];
  for (let i = 0; i < 20; i += 1) {
    const socket = openSocket(server.wsUrl, createScreenToken.token);
    sockets.push(socket);
    await socket.connected;
    boards.push(socket.subscribe(QUERY));
  }
  await until(() => server.sharedStats().groups === 1, 'one group for twenty screens');
  const metric = async () => Number(/duban_event_payloads_executed_total (\d+)/.exec(await (await fetch(`${server.url.replace('/graphql', '')}/metrics`)).text())?.[1] ?? 0);
  const before = await metric();
  await submit();
  await until(() => boards.every((b) => b.payloads.length >= 2), 'the events on every screen');
  // With the notices judged from the figure, whose events the boards get too.
  await server.projected();
  const executed = (await metric()) - before;
  // One event per region moved (鹿城区 and 温州市, and any notice), each executed once for all twenty.
  const events = (b: (typeof boards)[number]) => new Set(b.payloads.map((p) => p.boardEvents.cursor)).size;
  await until(() => boards.every((b) => events(b) === executed), 'every screen gets each event executed once');
  expect(executed).toBeGreaterThanOrEqual(2);
  await Promise.all(sockets.splice(0).map((s) => s.dispose()));
  await until(() => server.sharedStats().groups === 0, 'no group left');
  expect(server.sharedStats()).toEqual({ groups: 0, results: 0 });
});
