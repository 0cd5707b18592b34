import { createHmac } from 'node:crypto';
import { appendEvents } from '../src/modules/events/outbox.service';
import { followOutbox } from '../src/modules/channel/delivery.follower';
import { localKey } from '../src/common/node';
import { startReceiver, ACCEPT, type Receiver } from './helpers/receiver';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/**
 * Messages out: notices, urges and instructions reach DingTalk robots, WeCom robots and webhooks
 * (here local receivers on 127.0.0.1) through the delivery queue, signed, retried, and never held up
 * by a receiver that does not answer; a write that rolls back sends nothing. The safety poll is left
 * at its default (30 s): everything here happens on the loop's own cues, well before it.
 */
let server: TestServer;
const receivers: Receiver[] = [];
beforeAll(async () => {
  server = await startTestServer({
    env: { DUBAN_DELIVERY_BACKOFF_MS: '50', DUBAN_DELIVERY_TIMEOUT_MS: '3000', DUBAN_DELIVERY_MAX_ATTEMPTS: '4' },
  });
});
afterEach(async () => {
  // Each test's channels go with it (their deliveries too), and its receivers.
  const admin = await server.token('admin');
  const { channels } = await server.ok('{ channels { id } }', {}, admin);
  for (const c of channels) await server.ok('mutation($id: ID!) { deleteChannel(id: $id) { id } }', { id: c.id }, admin);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => server.close());

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

const CHANNEL_FIELDS = 'id name kind url hasSecret programmes regions events createdAt updatedAt';
const CREATE = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { ${CHANNEL_FIELDS} } }`;
const DELIVERIES = `query($c: ID, $s: DeliveryStatus) { deliveries(channel: $c, status: $s) {
  id eventSeq event title text status attempts nextAttemptAt lastError createdAt sentAt channel { ${CHANNEL_FIELDS} } } }`;
const URGE = 'mutation($input: UrgeInput!) { urge(input: $input) { id } }';
const COMMENT = 'mutation($input: AddCommentInput!) { addComment(input: $input) { id } }';

async function createChannel(input: Record<string, unknown>): Promise<{ id: string; hasSecret: boolean; url: string }> {
  return (await server.ok(CREATE, { input }, await server.token('admin'))).createChannel;
}
async function deliveries(channel: string): Promise<any[]> {
  return (await server.ok(DELIVERIES, { c: channel }, await server.token('admin'))).deliveries;
}
/** The statements the server's pool sends on the delivery cursor or queue within `ms`, whoever sends them. */
async function deliveryStatements(ms: number): Promise<string[]> {
  const sent = await server.statementsMatching(/\bdelivery(_cursor)?\b/, () => new Promise((r) => setTimeout(r, ms)));
  return sent.map((sql) => sql.slice(0, 120));
}

describe('an idle server', () => {
  it('sends nothing to the database for messages out once the last one is sent', async () => {
    const hook = await receiver(ACCEPT);
    const channel = await createChannel({ name: '闲时', kind: 'WEBHOOK', url: `${hook.url}/in`, events: ['URGE'] });
    await server.ok(URGE, { input: { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05' } }, await server.token('leader'));
    await until(async () => hook.requests.length === 1 && (await deliveries(channel.id))[0]?.status === 'SENT', 'the urge to go out');
    await server.projected();

    // Two of the event stream's polls poke the loop meanwhile; nothing is new, nothing is due.
    expect(await deliveryStatements(2500)).toEqual([]);
    expect(hook.requests).toHaveLength(1);

    // A stray announcement (a sequence the outbox never gave) is read for once, then forgotten.
    server.services.events.announce('999999999999');
    await new Promise((r) => setTimeout(r, 300));
    expect(await deliveryStatements(1200)).toEqual([]);
  });

  it('still sends an event committed without an announcement (a writer that died after its commit)', async () => {
    const hook = await receiver(ACCEPT);
    await createChannel({ name: '未通知', kind: 'WEBHOOK', url: `${hook.url}/in`, events: ['URGE'] });
    const { urge } = await server.ok(URGE, { input: { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05' } }, await server.token('leader'));
    await until(() => hook.requests.length === 1, 'the urge');
    // Its event once more, committed in SQL with nobody told: the event stream's poll finds it, and its head tells the loop.
    await server.orm.em.fork().transactional(async (tx) => {
      const [row] = await tx.execute('select i.programme_id from urge u join indicator i on i.id = u.indicator_id where u.id = ?', [localKey('Urge', urge.id)]);
      await appendEvents(tx, [{ type: 'UrgeChanged', programmeId: row.programme_id, regionCode: '330302006', parentCode: '330302', payload: { urgeId: localKey('Urge', urge.id), change: 'URGED' } }], new Date());
    });
    await until(() => hook.requests.length === 2, 'the unannounced event to go out', 10_000);
    expect(hook.requests.map((r) => r.json.payload.urge.id)).toEqual([urge.id, urge.id]);
    expect(new Set(hook.requests.map((r) => r.json.deliveryId)).size).toBe(2);
  });
});

describe('deliveries past their retention', () => {
  it('are deleted when sent or failed, as an instance starts; pending ones and recent ones stay, and deliveries lists what is left', async () => {
    const hook = await receiver(ACCEPT);
    const channel = await createChannel({ name: '存档', kind: 'WEBHOOK', url: `${hook.url}/in`, events: ['URGE'] });
    await server.ok(URGE, { input: { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05' } }, await server.token('leader'));
    await until(async () => (await deliveries(channel.id))[0]?.status === 'SENT', 'the urge to go out');
    const [sent] = await deliveries(channel.id);
    // Three more of the same event, as they would stand after weeks: sent, failed and still pending, 40 days old.
    await server.orm.em.fork().getConnection().execute(`
      insert into delivery (id, channel_id, event_seq, event, title, text, payload, status, attempts, next_attempt_at, created_at)
      select gen_random_uuid(), d.channel_id, d.event_seq - n, d.event, d.title, d.text, d.payload, s::delivery_status, 1,
             now() + interval '1 day', now() - interval '40 days'
      from delivery d, unnest('{SENT,FAILED,PENDING}'::text[]) with ordinality as x(s, n) where d.id = ?`, [localKey('Delivery', sent.id)]);
    expect(await deliveries(channel.id)).toHaveLength(4);

    // An instance starting on the database prunes at its first round (then hourly).
    const other = await startTestServer({ attachTo: server, env: { DUBAN_DELIVERY_RETENTION_DAYS: '30' } });
    try {
      await until(async () => (await deliveries(channel.id)).length === 2, 'the old sent and failed deliveries deleted');
    } finally {
      await other.close();
    }
    const left = await deliveries(channel.id);
    expect(left.map((d) => d.status).sort()).toEqual(['PENDING', 'SENT']);
    expect(left.find((d) => d.status === 'SENT').id).toBe(sent.id);
  });
});

describe('a notice issued in a transaction', () => {
  it('arrives once on each channel it concerns, in each format, signed', async () => {
    const [ding, wecom, hook, other] = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
    const DING_SECRET = 'SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab';
    const HOOK_SECRET = 'webhook-secret-of-the-receiver';
    const filters = { programmes: ['P3'], regions: ['330302'], events: ['NOTICE_ISSUED'] };
    const channels = await Promise.all([
      createChannel({ name: '鹿城区督办群', kind: 'DINGTALK', url: `${ding.url}/robot/send?access_token=ding-token`, secret: DING_SECRET, ...filters }),
      createChannel({ name: '企业微信群', kind: 'WECOM', url: `${wecom.url}/cgi-bin/webhook/send?key=wecom-key`, ...filters }),
      createChannel({ name: '督办系统接口', kind: 'WEBHOOK', url: `${hook.url}/duban`, secret: HOOK_SECRET, ...filters }),
      createChannel({ name: '龙湾区', kind: 'WEBHOOK', url: `${other.url}/duban`, ...filters, regions: ['330303'] }),
    ]);

    // As the notice test does: a target for P3-08 in 鹿城区 due 2019-07-10, not met: a BLUE notice issued.
    const admin = await server.token('admin');
    const { indicator } = await server.ok('{ indicator(code: "P3-08") { progress(region: "330302") { actual } } }', {}, admin);
    await server.ok('mutation($input: SetTargetInput!) { setTarget(input: $input) { id } }',
      { input: { indicator: 'P3-08', region: '330302', comparator: 'GTE', value: Math.round(indicator.progress.actual * 1.1), deadline: '2019-07-10' } },
      await server.token('yanglao'));
    await server.projected();
    const { notices } = await server.ok('query { notices(programme: "P3", region: "330302") { id indicator { code } region { code } } }', {}, admin);
    const notice = notices.find((n: any) => n.indicator.code === 'P3-08' && n.region.code === '330302');
    expect(notice).toBeDefined();

    for (const c of channels.slice(0, 3)) await until(async () => (await deliveries(c.id)).some((d) => d.status === 'SENT'), 'the deliveries to be sent');
    const about = (r: Receiver) => r.requests.filter((q) => q.body.includes('P3-08'));
    expect([about(ding).length, about(wecom).length, about(hook).length]).toEqual([1, 1, 1]);
    expect(other.requests).toEqual([]);
    expect(await deliveries(channels[3].id)).toEqual([]);

    // DingTalk: a markdown message to the signed URL; the signature recomputed from its timestamp.
    const [d] = about(ding);
    expect(d.url.pathname).toBe('/robot/send');
    expect(d.url.searchParams.get('access_token')).toBe('ding-token');
    const timestamp = d.url.searchParams.get('timestamp')!;
    expect(timestamp).toMatch(/^\d{13}$/);
    expect(d.url.searchParams.get('sign')).toBe(createHmac('sha256', DING_SECRET).update(`${timestamp}\n${DING_SECRET}`).digest('base64'));
    // URL-encoded as DingTalk asks (base64's + / = escaped).
    expect(d.url.search).not.toMatch(/sign=[^&]*[+/=]/);
    expect(d.json).toMatchObject({ msgtype: 'markdown', markdown: { title: expect.stringMatching(/督办单（.色）已下发/) } });
    expect(d.json.markdown.text).toMatch(/P3-08.*鹿城区/);

    // WeCom: markdown.content.
    const [w] = about(wecom);
    expect(w.url.searchParams.get('key')).toBe('wecom-key');
    expect(w.json.msgtype).toBe('markdown');
    expect(w.json.markdown.content).toMatch(/督办单.*已下发[\s\S]*P3-08.*鹿城区/);

    // The webhook: JSON with the event, its payload and the delivery id; the HMAC of the raw body.
    const [h] = about(hook);
    expect(h.headers['x-duban-signature']).toBe(`sha256=${createHmac('sha256', HOOK_SECRET).update(h.body).digest('hex')}`);
    expect(h.json).toMatchObject({ event: 'NOTICE_ISSUED', type: 'NoticeChanged', payload: { indicator: 'P3-08', region: '330302', programme: 'P3', notice: { id: notice.id, action: 'ISSUED' } } });
    const [sent] = await deliveries(channels[2].id);
    expect(h.json.deliveryId).toBe(sent.id);
    expect(h.headers['x-duban-delivery']).toBe(sent.id);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 1, lastError: null, event: 'NOTICE_ISSUED' });
  });
});

describe('retries', () => {
  it('gets a message to a receiver that fails twice on the third try, and gives up on one that always fails', async () => {
    const flaky = await receiver((n) => (n <= 2 ? { status: 500, body: 'busy' } : { status: 204, body: '' }));
    const dead = await receiver(() => ({ status: 500, body: 'down for good' }));
    const [a, b] = await Promise.all([
      createChannel({ name: '时好时坏', kind: 'WEBHOOK', url: `${flaky.url}/in`, secret: 'k', events: ['URGE'] }),
      createChannel({ name: '坏了', kind: 'WEBHOOK', url: `${dead.url}/in`, events: ['URGE'] }),
    ]);
    const { urge } = await server.ok(URGE, { input: { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05', message: '请尽快报送' } }, await server.token('leader'));

    // No event after the urge's: each retry comes at its backoff (50 ms, then 100), on the loop's
    // timer, long before the 30 s safety poll would find it.
    await until(async () => (await deliveries(a.id))[0]?.status === 'SENT', 'the third try', 10_000);
    const [delivery] = await deliveries(a.id);
    expect(delivery).toMatchObject({ status: 'SENT', attempts: 3, lastError: null, event: 'URGE' });
    expect(flaky.requests).toHaveLength(3);
    // The same delivery id on every attempt: the receiver de-duplicates on it.
    expect(new Set(flaky.requests.map((r) => r.headers['x-duban-delivery']))).toEqual(new Set([delivery.id]));
    expect(flaky.requests.every((r) => r.json.payload.urge.id === urge.id)).toBe(true);

    await until(async () => (await deliveries(b.id))[0]?.status === 'FAILED', 'the dead receiver to be given up', 10_000);
    expect((await deliveries(b.id))[0]).toMatchObject({ status: 'FAILED', attempts: 4, lastError: 'HTTP 500: down for good', sentAt: null });
    expect(dead.requests).toHaveLength(4);
    const admin = await server.token('admin');
    expect((await server.ok(DELIVERIES, { s: 'FAILED' }, admin)).deliveries.map((d: any) => d.id)).toContain((await deliveries(b.id))[0].id);
  });
});

describe('a receiver that never answers', () => {
  it('does not delay the others: they get theirs while it hangs', async () => {
    const hanging = await receiver(() => 'hang');
    const fast = await receiver(ACCEPT);
    const [slow, quick] = await Promise.all([
      createChannel({ name: '不回话', kind: 'WEBHOOK', url: `${hanging.url}/in`, events: ['INSTRUCTION'] }),
      createChannel({ name: '钉钉', kind: 'DINGTALK', url: `${fast.url}/robot/send?access_token=t`, secret: 'SECx', events: ['INSTRUCTION'] }),
    ]);
    const leader = await server.token('leader');
    for (const n of [1, 2]) {
      await server.ok(COMMENT, { input: { indicator: 'P3-05', region: '330302', kind: 'INSTRUCTION', text: `批示 ${n}：加快进度` } }, leader);
      await until(() => fast.requests.length === n && hanging.hanging() === n, `instruction ${n} to reach both`);
      // The fast one has it, sent, while the hanging one holds every request it got, unanswered.
      expect((await deliveries(quick.id)).filter((d) => d.status === 'SENT')).toHaveLength(n);
      const held = await deliveries(slow.id);
      expect(held.map((d) => [d.status, d.attempts, d.lastError])).toEqual(Array(n).fill(['PENDING', 1, null]));
    }
    expect(fast.requests.map((r) => [r.json.markdown.title, r.json.markdown.text])).toEqual([1, 2].map((n) => [expect.stringMatching(/^批示：P3-05 /), expect.stringMatching(new RegExp(`领导批示[\\s\\S]*批示 ${n}：加快进度`))]));
    // Its time limit passes: the attempt fails, to be retried.
    await until(async () => (await deliveries(slow.id)).every((d) => d.lastError), 'the time limit', 20_000);
    expect((await deliveries(slow.id))[0].lastError).toBe('no answer within 3000 ms');
  });
});

describe('a write that rolls back', () => {
  it('sends nothing', async () => {
    const hook = await receiver(ACCEPT);
    const channel = await createChannel({ name: '全部', kind: 'WEBHOOK', url: `${hook.url}/in` });
    const leader = await server.token('leader');
    const first = (await server.ok(URGE, { input: { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05' } }, leader)).urge;
    await until(() => hook.requests.length === 1, 'the first urge');

    // Refused (a due day in the past): BAD_USER_INPUT, nothing written, nothing sent.
    expect((await server.call(URGE, { input: { indicator: 'P3-05', region: '330302006', dueOn: '2019-06-01' } }, leader)).code).toBe('BAD_USER_INPUT');
    // An event appended in a writer's transaction that then rolls back: the follower, reading
    // while it is open, sees nothing of it.
    const em = server.orm.em.fork();
    await expect(em.transactional(async (tx) => {
      const [urge] = await tx.execute('select i.programme_id from urge u join indicator i on i.id = u.indicator_id where u.id = ?', [localKey('Urge', first.id)]);
      await appendEvents(tx, [{ type: 'UrgeChanged', programmeId: urge.programme_id, regionCode: '330302006', parentCode: '330302', payload: { urgeId: localKey('Urge', first.id), change: 'URGED' } }], new Date());
      expect((await followOutbox(server.orm.em)).made).toBe(0);
      throw new Error('the write fails after its event was appended');
    })).rejects.toThrow('the write fails');

    const second = (await server.ok(URGE, { input: { indicator: 'P3-05', region: '330302', dueOn: '2019-07-06' } }, leader)).urge;
    await until(() => hook.requests.length === 2, 'the second urge');
    await until(async () => (await deliveries(channel.id)).every((d) => d.status === 'SENT'), 'both sent');
    expect(hook.requests.map((r) => r.json.payload.urge.id)).toEqual([first.id, second.id]);
    expect(await deliveries(channel.id)).toHaveLength(2);
  });
});

describe('channels are ADMIN\'s', () => {
  const SECRET = 'SECthis-must-never-come-back-0123456789';
  const TOKEN = 'access-token-must-stay-hidden';

  it('never return the secret (nor the robot\'s token) in any answer', async () => {
    const ding = await receiver(ACCEPT);
    const admin = await server.token('admin');
    const answers: string[] = [];
    const post = async (query: string, variables: Record<string, unknown>) => {
      const { json } = await server.post(JSON.stringify({ query, variables }), admin);
      answers.push(JSON.stringify(json));
      expect(json.errors).toBeUndefined();
      return json.data as any;
    };
    const { createChannel: c } = await post(CREATE, { input: { name: '钉钉', kind: 'DINGTALK', url: `${ding.url}/robot/send?access_token=${TOKEN}`, secret: SECRET, events: ['URGE'] } });
    expect(c).toMatchObject({ hasSecret: true, kind: 'DINGTALK' });
    expect(c.url).toBe(`${ding.url}/robot/send?access_token=***`);
    await post(`{ channels { ${CHANNEL_FIELDS} } }`, {});
    await post(`mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { ${CHANNEL_FIELDS} } }`, { input: { id: c.id, name: '钉钉群' } });
    await server.ok(URGE, { input: { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05' } }, await server.token('leader'));
    await until(async () => (await deliveries(c.id)).some((d) => d.status === 'SENT'), 'the urge to go out');
    await post(DELIVERIES, { c: c.id });
    await post('{ auditEntries(filter: { entityType: "Channel" }) { nodes { action entityId before after } } }', {});
    expect(answers.join('\n')).toContain('CREATE_CHANNEL');
    for (const answer of answers) {
      expect(answer).not.toContain(SECRET);
      expect(answer).not.toContain(TOKEN);
    }
    // The secret is kept unless given; null removes it.
    const kept = await post(`mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { hasSecret } }`, { input: { id: c.id, url: `${ding.url}/robot/send?access_token=${TOKEN}` } });
    expect(kept.updateChannel.hasSecret).toBe(true);
    const removed = await post(`mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { hasSecret } }`, { input: { id: c.id, secret: null } });
    expect(removed.updateChannel.hasSecret).toBe(false);
  });

  it.each(['leader', 'yanglao', 'lucheng', 'screen'])('refuses %s: FORBIDDEN, nothing written', async (who) => {
    const token = await server.token(who);
    const before = await Promise.all(['channel', 'audit_entry'].map((t) => server.count(t)));
    expect((await server.call(CREATE, { input: { name: 'x', kind: 'WEBHOOK', url: 'http://127.0.0.1:9/x' } }, token)).code).toBe('FORBIDDEN');
    expect((await server.call('{ channels { id } }', {}, token)).code).toBe('FORBIDDEN');
    expect((await server.call(DELIVERIES, {}, token)).code).toBe('FORBIDDEN');
    expect(await Promise.all(['channel', 'audit_entry'].map((t) => server.count(t)))).toEqual(before);
  });

  it.each([
    ['a URL that is not one', { url: 'not a url' }, 'url'],
    ['an ftp URL', { url: 'ftp://127.0.0.1/x' }, 'url'],
    ['a javascript: URL', { url: 'javascript:alert(1)' }, 'url'],
    ['an empty name', { name: '  ' }, 'name'],
    ['an unknown programme', { programmes: ['P9'] }, 'programmes'],
    ['an unknown region', { regions: ['339999'] }, 'regions'],
  ])('refuses %s: BAD_USER_INPUT, nothing written', async (_what, change, field) => {
    const admin = await server.token('admin');
    const before = await Promise.all(['channel', 'audit_entry'].map((t) => server.count(t)));
    const res = await server.call(CREATE, { input: { name: '接口', kind: 'WEBHOOK', url: 'https://example.invalid/hook', ...change } }, admin);
    expect(res.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions?.field).toBe(field);
    expect(await Promise.all(['channel', 'audit_entry'].map((t) => server.count(t)))).toEqual(before);
  });
});
