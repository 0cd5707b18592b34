import { openSocket, type OpenSocket } from './helpers/socket';
import { sseSubscribe } from './helpers/event-source';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/**
 * Subscriptions over Server-Sent Events (graphql-sse): the same board stream as the WebSocket,
 * each event's SSE id its cursor, a dropped stream resumed by EventSource's Last-Event-ID on
 * another instance with no gap and no repeat, and the same authorization.
 */
let a: TestServer;
let b: TestServer;
let admin: string;
const sockets: OpenSocket[] = [];
const closers: (() => void)[] = [];
beforeAll(async () => {
  a = await startTestServer();
  b = await startTestServer({ attachTo: a });
  admin = await a.token('admin');
});
afterEach(async () => {
  closers.splice(0).forEach((close) => close());
  await Promise.all(sockets.splice(0).map((s) => s.dispose()));
});
afterAll(async () => { await b?.close(); await a?.close(); });

const BOARD = `subscription Board($after: String) { boardEvents(programme: "P3", region: "330300", after: $after) {
  __typename cursor ... on ProgressChanged { region { code } progress { actual } } } }`;
const SUBMIT = 'mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
let n = 0;
const submit = (server: TestServer) => server.ok(SUBMIT, { input: { indicator: 'P3-01', region: '330302', value: 500 + (n += 1), asOf: '2019-06-30' } }, admin);
const figures = (events: { data: any }[]) => events.map((e) => e.data?.boardEvents).filter((e) => e?.__typename === 'ProgressChanged');

it('carries the board\'s events with their cursors as SSE ids; a dropped stream resumes on another instance with Last-Event-ID, every event once', async () => {
  const token = await a.token('screen');
  // The reference: a WebSocket subscriber on B that stays connected throughout.
  const socket = openSocket(b.wsUrl, token);
  sockets.push(socket);
  await socket.connected;
  const reference = socket.subscribe(BOARD);
  const stream = sseSubscribe([a.sseUrl, b.sseUrl], token, BOARD);
  closers.push(stream.close);
  await until(() => a.services.events.listenerCount === 1 && b.services.events.listenerCount === 1, 'both subscribed');

  // The board's last figure event, once the projector has folded everything written so far.
  const lastFigure = async () => {
    await a.projected();
    const [row] = await a.orm.em.getConnection().execute<{ seq: string }[]>(
      "select max(seq)::text as seq from outbox_event where type = 'ProgressChanged' and region_code in ('330300', '330302')"
      + " and programme_id = (select id from programme where code = 'P3')");
    return row.seq;
  };
  const reaches = (events: { data: any }[], seq: string) => figures(events).at(-1)?.cursor === seq;

  for (let i = 0; i < 3; i += 1) await submit(a);
  const first = await lastFigure();
  await until(() => reaches(stream.received, first), 'the first figures over SSE');
  expect(stream.received.every((e) => e.id === e.data.boardEvents.cursor)).toBe(true);

  // The stream is dropped (a restart, a proxy); figures keep coming while it is away.
  const lastBeforeDrop = stream.received.at(-1)!.id;
  a.dropStreams();
  for (let i = 0; i < 3; i += 1) await submit(a);
  await until(() => stream.connections() >= 2, 'the reconnect');
  for (let i = 0; i < 3; i += 1) await submit(b);
  const last = await lastFigure();
  const wsEvents = () => reference.payloads.map((p) => ({ data: p }));
  await until(() => reaches(wsEvents(), last), 'every figure on the WebSocket');
  await until(() => reaches(stream.received, last), 'every figure over SSE');

  const viaSse = figures(stream.received).map((e) => e.cursor);
  const viaWs = figures(wsEvents()).map((e) => e.cursor);
  expect(viaSse).toEqual(viaWs);
  expect(new Set(viaSse).size).toBe(viaSse.length);
  expect(stream.lastEventIds[1]).toBe(lastBeforeDrop);
  expect(stream.errors).toEqual([]);
});

it('refuses a stream without a valid token (401) and a read outside the caller\'s scope (FORBIDDEN)', async () => {
  const none = await fetch(`${a.sseUrl}?query=${encodeURIComponent(BOARD)}`, { headers: { accept: 'text/event-stream' } });
  expect(none.status).toBe(401);
  expect(((await none.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');

  const stream = sseSubscribe([a.sseUrl], await a.token('lucheng'), BOARD);
  closers.push(stream.close);
  await until(() => stream.errors.length > 0, 'the refusal');
  expect(stream.errors).toEqual(['FORBIDDEN']);
});

it('ends the stream with UNAUTHENTICATED when its session ends', async () => {
  const LOGIN = 'mutation { login(username: "yanglao", password: "demo") { token } }';
  const token = (await a.ok(LOGIN)).login.token;
  const stream = sseSubscribe([a.sseUrl], token, BOARD);
  closers.push(stream.close);
  await until(() => a.services.events.listenerCount === 1, 'subscribed');
  await a.ok('mutation { logout }', {}, token);
  await until(() => stream.errors.length > 0, 'the end of the stream');
  expect(stream.errors).toEqual(['UNAUTHENTICATED']);
});
