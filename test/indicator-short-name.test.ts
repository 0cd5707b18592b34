import { startTestServer, type TestServer } from './helpers/test-server';

/** An indicator's short name: optional, at most 12 characters, what a wall shows where the name would be cut. */
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const READ = 'query($code: String!) { indicator(code: $code) { version name shortName } }';
const CREATE = 'mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { code name shortName } }';
const UPDATE = 'mutation($input: UpdateIndicatorInput!) { updateIndicator(input: $input) { version shortName } }';
const written = () => Promise.all(['indicator', 'audit_entry', 'outbox_event'].map((t) => server.count(t)));

describe('Indicator.shortName', () => {
  it('is null in the demo: the report\'s names stay as written', async () => {
    const { indicator } = await server.ok(READ, { code: 'P3-17' }, await server.token('screen'));
    expect(indicator.shortName).toBeNull();
    expect(indicator.name.length).toBeGreaterThan(12);
  });

  it('is set with a new indicator, read back trimmed, changed, and removed with null', async () => {
    const yanglao = await server.token('yanglao');
    const made = await server.ok(CREATE, { input: { programme: 'P3', code: 'P3-95', name: '城乡社区居家养老服务照料中心等级评定完成数', shortName: ' 照料中心评定 ', kind: 'COUNT' } }, yanglao);
    expect(made.createIndicator).toEqual({ code: 'P3-95', name: '城乡社区居家养老服务照料中心等级评定完成数', shortName: '照料中心评定' });
    const { indicator } = await server.ok(READ, { code: 'P3-95' }, yanglao);
    expect(indicator.shortName).toBe('照料中心评定');
    // Twelve characters is the most, counted as characters: one outside the BMP (two UTF-16 units) is one.
    const twelve = '居家养老服务照料中心评𠀀';
    expect([[...twelve].length, twelve.length]).toEqual([12, 13]);
    const changed = await server.ok(UPDATE, { input: { code: 'P3-95', expectedVersion: indicator.version, shortName: twelve } }, yanglao);
    expect(changed.updateIndicator).toEqual({ version: indicator.version + 1, shortName: twelve });
    const cleared = await server.ok(UPDATE, { input: { code: 'P3-95', expectedVersion: indicator.version + 1, shortName: null } }, yanglao);
    expect(cleared.updateIndicator).toEqual({ version: indicator.version + 2, shortName: null });
    const kept = await server.ok(UPDATE, { input: { code: 'P3-95', expectedVersion: indicator.version + 2, shortName: '照料中心' } }, yanglao);
    expect(kept.updateIndicator.shortName).toBe('照料中心');
    // Given as blanks: none.
    const blank = await server.ok(UPDATE, { input: { code: 'P3-95', expectedVersion: indicator.version + 3, shortName: '   ' } }, yanglao);
    expect(blank.updateIndicator.shortName).toBeNull();
  });

  it.each([
    ['13 characters', '居家养老服务照料中心等级评'],
    ['text the database cannot hold', '照料\u0000中心'],
  ])('refuses a short name of %s on a new indicator and on a change, writing nothing', async (_what, shortName) => {
    const yanglao = await server.token('yanglao');
    await server.projected(); // the events of the earlier writes are in
    const before = await written();
    const create = await server.call(CREATE, { input: { programme: 'P3', code: 'P3-96', name: '家庭养老床位', shortName, kind: 'COUNT' } }, yanglao);
    expect(create.code).toBe('BAD_USER_INPUT');
    expect(create.errors![0].extensions!.field).toBe('shortName');
    const { indicator } = await server.ok(READ, { code: 'P3-03' }, yanglao);
    const update = await server.call(UPDATE, { input: { code: 'P3-03', expectedVersion: indicator.version, shortName } }, yanglao);
    expect(update.code).toBe('BAD_USER_INPUT');
    expect(update.errors![0].extensions!.field).toBe('shortName');
    expect(await written()).toEqual(before);
    expect((await server.ok(READ, { code: 'P3-03' }, yanglao)).indicator).toEqual(indicator);
    expect((await server.call(READ, { code: 'P3-96' }, yanglao)).code).toBe('NOT_FOUND');
  });
});
