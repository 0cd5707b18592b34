import { sseSubscribe } from './helpers/event-source';
import { openSocket } from './helpers/socket';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/**
 * A board behind the stream (events arrive faster than it takes them) gets the latest figures of
 * each indicator × region, merged, and every other event: lossless for what a board shows.
 */
let server: TestServer;
beforeAll(async () => { server = await startTestServer({ env: { DUBAN_WS_MAX_QUEUED_EVENTS: '100' } }); });
afterAll(() => server.close());

const BOARD = `subscription { boardEvents(programme: "P3", region: "330300") {
  __typename cursor ... on ProgressChanged { region { code } progress { actual } } } }`;

it('merges waiting ProgressChanged of one indicator and region into the latest; keeps every other event, in order', async () => {
  const socket = openSocket(server.wsUrl, await server.token('screen'));
  await socket.connected;
  const board = socket.subscribe(BOARD);
  await until(() => server.services.events.listenerCount === 1, 'the subscription');
  const admin = await server.token('admin');
  await server.ok('mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }',
    { input: { indicator: 'P3-01', region: '330302', value: 7, asOf: '2019-06-30' } }, admin);
  await server.ok('mutation($input: SetTargetInput!) { setTarget(input: $input) { id } }',
    { input: { indicator: 'P3-16', region: '330302', comparator: 'GTE', value: 4, deadline: '2019-12-30' } }, admin);
  await until(() => board.payloads.some((p) => p.boardEvents.__typename === 'TargetChanged'), 'the first events');
  // The projector done with those two writes, so that it appends nothing among the rows below.
  await server.projected();
  const firstSeen = board.payloads.length;

  const last = await appendBurst();

  await until(() => board.payloads.at(-1)?.boardEvents.cursor === last, 'the last event');
  const burst = board.payloads.slice(firstSeen).map((p) => p.boardEvents);
  const cursors = burst.map((e) => BigInt(e.cursor));
  expect(cursors.every((c, i) => i === 0 || c > cursors[i - 1])).toBe(true);
  expect(burst.filter((e) => e.__typename === 'TargetChanged')).toHaveLength(20);
  const figures = burst.filter((e) => e.__typename === 'ProgressChanged');
  expect(figures.length).toBeGreaterThan(0);
  expect(figures.length).toBeLessThan(1980);
  expect(socket.closedWith()).toBeUndefined();
  await socket.dispose();
});

it('does the same over Server-Sent Events, each event numbered by its cursor', async () => {
  const stream = sseSubscribe([server.sseUrl], await server.token('screen'), BOARD);
  try {
    await until(() => server.services.events.listenerCount === 1, 'the stream');
    // The stream's first event, so that what follows is the burst.
    await server.ok('mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }',
      { input: { indicator: 'P3-01', region: '330302', value: 8, asOf: '2019-06-30' } }, await server.token('admin'));
    await until(() => stream.received.some((e) => e.data.boardEvents.__typename === 'ProgressChanged'), 'the first event');
    await server.projected();
    const firstSeen = stream.received.length;

    const last = await appendBurst();
    await until(() => stream.received.at(-1)?.id === last, 'the last event', 30_000);
    const events = stream.received.slice(firstSeen);
    expect(events.every((e) => e.id === e.data.boardEvents.cursor)).toBe(true);
    const cursors = events.map((e) => BigInt(e.id));
    expect(cursors.every((c, i) => i === 0 || c > cursors[i - 1])).toBe(true);
    expect(events.filter((e) => e.data.boardEvents.__typename === 'TargetChanged')).toHaveLength(20);
    const figures = events.filter((e) => e.data.boardEvents.__typename === 'ProgressChanged');
    expect(figures.length).toBeGreaterThan(0);
    expect(figures.length).toBeLessThan(1980);
    expect(stream.errors).toEqual([]);
  } finally {
    stream.close();
  }
});

/** 2,000 figures of 鹿城区's P3-01 at once, with a target change after every hundredth: the last cursor. */
async function appendBurst(): Promise<string> {
  const conn = server.orm.em.fork().getConnection();
  await conn.execute(`
    insert into outbox_event (seq, type, programme_id, region_code, parent_code, payload, created_at)
    select (select last_seq from outbox_sequence) + n, e.type, e.programme_id, e.region_code, e.parent_code, e.payload, e.created_at
    from generate_series(1, 2000) as n
    cross join lateral (select * from outbox_event where seq = (select max(seq) from outbox_event
      where type = case when n % 100 = 0 then 'TargetChanged' else 'ProgressChanged' end and region_code = '330302')) e`);
  const [{ last }] = await conn.execute<{ last: string }[]>('update outbox_sequence set last_seq = last_seq + 2000 returning last_seq as last');
  server.services.events.announce(last);
  return last;
}
