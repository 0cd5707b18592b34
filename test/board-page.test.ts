import type { Browser, Page } from 'playwright-core';
import { AddCommentDocument, BoardDocument, ReviewDocument, SubmitDocument } from './generated/graphql';
import { artifactPath, describeInBrowser, launchBrowser, requestsElsewhere } from './helpers/browser';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

let server: TestServer;
let origin: string;
beforeAll(async () => {
  server = await startTestServer();
  origin = new URL(server.url).origin;
});
afterAll(() => server.close());

const BOARD = '/board?programme=P3&region=330300';

describe('the board page over HTTP', () => {
  it('is a page of its own, with its script and styles from the server', async () => {
    const res = await fetch(origin + BOARD);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/lang="zh-CN"/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const assets = [...html.matchAll(/(?:src|href)="(\/board\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(['/board/assets/board.js', '/board/assets/board.css', '/board/assets/graphql-ws.js']));
    for (const path of [...assets, '/board/assets/echarts.js', '/board/map/330300.json']) expect([path, (await fetch(origin + path)).status]).toEqual([path, 200]);
    expect((await fetch(`${origin}/board/map/330302.json`)).status).toBe(404); // no township shapes
    expect((await fetch(`${origin}/board/map/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${origin}/board/assets/board-page.js`)).status).toBe(404);
  });
});

describeInBrowser('the board page in a browser', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchBrowser(); });
  afterAll(() => browser?.close());

  async function open(query: string): Promise<{ page: Page; elsewhere: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const elsewhere = requestsElsewhere(page, origin);
    await page.goto(origin + BOARD + query);
    return { page, elsewhere };
  }
  const connection = (page: Page) => page.getAttribute('#connection', 'data-state');
  const figure = async (page: Page, indicator: string) => {
    const text = await page.locator(`.row[data-indicator="${indicator}"] .actual`).textContent();
    return Number(text!.replace(/,/g, ''));
  };
  /** The server lists `count` screens on P3 at 330300: the page's subscription is in place. */
  const watched = () => until(async () => {
    const { json } = await server.post(JSON.stringify({ query: '{ boardWatchers(programme: "P3", region: "330300") { username } }' }), await server.token('screen'));
    return JSON.stringify(json.data).includes('"screen"');
  }, 'the board\'s subscription');
  async function cityFigure(indicator: string): Promise<number> {
    const board = await server.gql(BoardDocument, { programme: 'P3', region: '330300' }, await server.token('screen'));
    return board.data!.programme.indicators.find((i) => i.code === indicator)!.progress.actual!;
  }
  async function submit(value: number, key: string): Promise<string> {
    const sent = await server.gql(SubmitDocument, {
      input: { indicator: 'P3-01', region: '330302', value, asOf: '2019-06-30', idempotencyKey: key },
    }, await server.token('lucheng'));
    expect(sent.errors).toBeUndefined();
    return sent.data!.submitFigure.submission.id;
  }

  it('asks to sign in without a token, says so for a wrong password, and offers the demo\'s screen account', async () => {
    const { page } = await open('');
    await page.locator('#signin').waitFor();
    expect(await connection(page)).toBe('signed-out');
    expect(await page.inputValue('#signin input[name=username]')).toBe('screen');
    await page.fill('#signin input[name=password]', 'wrong');
    await page.click('#signin button[type=submit]');
    await page.locator('#signin-error', { hasText: '用户名或密码不正确' }).waitFor();
    await page.fill('#signin input[name=password]', 'demo');
    await page.click('#signin button[type=submit]');
    await page.locator('.row[data-indicator="P3-01"]').waitFor();
    await until(async () => (await connection(page)) === 'live', 'the live connection');
    expect(await page.isHidden('#signin')).toBe(true);
    await page.close();
  });

  it('asks to sign in again when its token is refused', async () => {
    const { page } = await open('&token=not-a-token');
    await page.locator('#signin').waitFor();
    expect(await connection(page)).toBe('signed-out');
    await page.close();
  });

  it('says so, and stops, when the programme or the region does not exist', async () => {
    const token = await server.token('screen');
    for (const query of ['?programme=P9&region=330300', '?programme=P3&region=999999']) {
      const page = await browser.newPage();
      await page.goto(`${origin}/board${query}&token=${token}`);
      await page.locator('#problem').waitFor();
      // In Chinese, the server's error included: 项目“P9”不存在.
      expect(await page.textContent('#problem')).toMatch(/^无法显示看板（项目 P\d，地区 \d+）：(项目|地区)“(P9|999999)”不存在$/);
      expect(await connection(page)).toBe('error');
      expect(await page.locator('.row').count()).toBe(0);
      await page.close();
    }
  });

  it('shows every indicator of P3 at 温州市 with figure, target, pace, status and the counties, then a figure as it lands', async () => {
    const { page, elsewhere } = await open(`&token=${await server.token('screen')}`);
    await page.locator('.row[data-indicator="P3-01"]').waitFor();
    // The token leaves the address bar: the wall shows no secret.
    expect(page.url()).toBe(origin + BOARD);
    expect(await page.textContent('#region-name')).toBe('温州市');
    expect(await page.locator('.row').count()).toBe(20);
    const row = page.locator('.row[data-indicator="P3-01"]');
    expect(await figure(page, 'P3-01')).toBe(25);
    expect(await row.locator('.target').textContent()).toBe('目标 70');
    expect(await row.getAttribute('data-status')).toBe('BEHIND');
    expect(await row.locator('.status').textContent()).toBe('滞后');
    expect(await row.locator('.expected').count()).toBe(1);
    expect(await row.locator('.child').count()).toBe(12);
    expect(await row.locator('.spark polyline').count()).toBe(1);
    expect(await page.locator('#activity li').count()).toBeGreaterThan(0);

    await until(async () => (await connection(page)) === 'live', 'the live connection');
    expect(await page.textContent('#connection')).toBe('实时 · WebSocket');
    await watched();
    await submit(30, 'board-page-live');
    const expected = await cityFigure('P3-01');
    expect(expected).not.toBe(25);
    // On the wall within a second of the write's answer.
    await until(async () => (await figure(page, 'P3-01')) === expected, 'the new figure on the board', 1_000);
    await page.locator('#activity li', { hasText: '鹿城区 P3-01 报送 30 家' }).waitFor();
    // Listed once (the notices the figure moves are items of their own: 督办通知…).
    expect(await page.locator('#activity li', { hasText: '鹿城区 P3-01 报送' }).count()).toBe(1);
    await page.screenshot({ path: artifactPath('board.png') });
    expect(elsewhere).toEqual([]);
    await page.close();
  });

  it('lists a review, a comment, an instruction (批示) and an urge (催办) as they happen', async () => {
    const { page, elsewhere } = await open(`&token=${await server.token('screen')}`);
    await page.locator('.row[data-indicator="P3-01"]').waitFor();
    await until(async () => (await connection(page)) === 'live', 'the live connection');
    await watched();
    const id = await submit(33, 'board-page-review');
    const yanglao = await server.token('yanglao');
    const reviewed = await server.gql(ReviewDocument, { input: { submission: id, decision: 'RETURNED', note: '请附名单' } }, yanglao);
    expect(reviewed.errors).toBeUndefined();
    const commented = await server.gql(AddCommentDocument, { input: { indicator: 'P3-01', region: '330302', text: '月底前补齐' } }, yanglao);
    expect(commented.errors).toBeUndefined();
    await page.locator('#activity li', { hasText: '鹿城区 P3-01 报送 33 家，已退回：请附名单' }).waitFor({ timeout: 10_000 });
    await page.locator('#activity li', { hasText: '评论 鹿城区 P3-01（yanglao）：月底前补齐' }).waitFor({ timeout: 10_000 });
    const leader = await server.token('leader');
    const instructed = await server.gql(AddCommentDocument, { input: { indicator: 'P3-01', region: '330302', text: '加快进度' } }, leader);
    expect(instructed.errors).toBeUndefined();
    await page.locator('#activity li', { hasText: '批示 鹿城区 P3-01（leader）：加快进度' }).waitFor({ timeout: 10_000 });
    const urged = await server.post(JSON.stringify({
      query: 'mutation($input: UrgeInput!) { urge(input: $input) { id } }',
      variables: { input: { indicator: 'P3-01', region: '330303', dueOn: '2019-07-05', message: '请报送' } },
    }), leader);
    expect(urged.json.errors).toBeUndefined();
    await page.locator('#activity li.kind-urge', { hasText: '催办 龙湾区 P3-01' }).waitFor({ timeout: 10_000 });
    expect(elsewhere).toEqual([]);
    await page.close();
  });

  it('shows the league table and the open notices by colour, and moves both as a figure lands, without a reload', async () => {
    const token = await server.token('screen');
    const { page, elsewhere } = await open(`&token=${token}`);
    await page.locator('#extras[data-board="P3:330300"]').waitFor();
    await until(async () => (await connection(page)) === 'live', 'the live connection');
    await watched();
    const COLOURS = ['RED', 'YELLOW', 'BLUE'];
    /** The server's ranking and open notices, written as the wall writes them in its data attributes. */
    async function fromServer(): Promise<{ ranks: string; values: string; notices: string }> {
      const { ranking, notices } = await server.ok(`{ ranking(programme: "P3", region: "330300", by: COMPLETION) { rows { region { code } rank value } }
        notices(programme: "P3", region: "330300") { colour state region { code } indicator { code } } }`, {}, token);
      type Row = { region: { code: string }; rank: number | null; value: number | null };
      type Notice = { colour: string; state: string; region: { code: string }; indicator: { code: string } };
      const sorted = (notices as Notice[]).sort((a, b) => COLOURS.indexOf(a.colour) - COLOURS.indexOf(b.colour)
        || a.region.code.localeCompare(b.region.code) || a.indicator.code.localeCompare(b.indicator.code));
      return {
        ranks: (ranking.rows as Row[]).map((r) => `${r.region.code}:${r.rank ?? '-'}`).join(','),
        values: (ranking.rows as Row[]).map((r) => (r.value === null ? '未报送' : `${Math.round(r.value * 100)}%`)).join(','),
        notices: sorted.map((n) => `${n.region.code}/${n.indicator.code}:${n.colour}:${n.state}`).join(','),
      };
    }
    const onWall = async () => ({
      ranks: (await page.getAttribute('#ranking', 'data-ranks'))!,
      values: (await page.locator('#ranking li[data-region] .value').allTextContents()).join(','),
      notices: (await page.getAttribute('#notices', 'data-notices'))!,
    });
    const before = await fromServer();
    expect(await onWall()).toEqual(before);
    expect(before.notices).toMatch(/:RED:/);
    // Counted by colour, the worst first; each colour's count is the server's.
    const counts = await page.locator('.notice-count').allTextContents();
    expect(counts).toEqual(COLOURS.map((c) => `${({ RED: '红', YELLOW: '黄', BLUE: '蓝' } as Record<string, string>)[c]} ${before.notices.split(',').filter((n) => n.includes(`:${c}:`)).length}`));
    expect(await page.locator('#notices li.notice').first().getAttribute('data-colour')).toBe('RED');

    // The last county in the table reports past its target on every indicator it has one for (COUNT and
    // AMOUNT, at least): its completion rises to the top, and its notices are judged again.
    const rank = (ranks: string, code: string) => Number(ranks.split(',').find((r) => r.startsWith(`${code}:`))!.split(':')[1]);
    const last = before.ranks.split(',').filter((r) => !r.endsWith(':-')).at(-1)!.split(':')[0];
    const admin = await server.token('admin');
    const { programme, region } = await server.ok(`query($r: String!) { region(code: $r) { name }
      programme(code: "P3") { indicators { code kind progress(region: $r) { target { value comparator } } } } }`, { r: last }, admin);
    type Row = { code: string; kind: string; progress: { target: { value: number | null; comparator: string } | null } };
    let sent = 0;
    for (const i of programme.indicators as Row[]) {
      const t = i.progress.target;
      if (!t || t.value === null || t.comparator !== 'GTE' || (i.kind !== 'COUNT' && i.kind !== 'AMOUNT')) continue;
      const res = await server.call('mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }', {
        input: { indicator: i.code, region: last, value: Math.ceil(t.value * 2), asOf: '2019-06-30', idempotencyKey: `board-page-league-${i.code}` },
      }, admin);
      if (res.code === 'OK') sent += 1;
    }
    expect(sent).toBeGreaterThan(0);
    await server.projected();
    const after = await fromServer();
    expect(after.values).not.toBe(before.values);
    expect(after.notices).not.toBe(before.notices);
    await until(async () => JSON.stringify(await onWall()) === JSON.stringify(after), 'the ranking and the notices moved on the wall', 10_000);
    // Its move against the ranking shown before, as an arrow.
    const moved = rank(before.ranks, last) - rank(after.ranks, last);
    const row = page.locator(`#ranking li[data-region="${last}"]`);
    expect(moved).toBeGreaterThan(0);
    expect(await row.getAttribute('data-move')).toBe(String(moved));
    expect(await row.locator('.move').textContent()).toBe(`↑${moved}`);
    // In the activity too (the newest items first; a burst of figures may push it off the visible part).
    await page.locator('#activity li.kind-notice', { hasText: `${region.name} P3-` }).first().waitFor({ state: 'attached' });
    expect(elsewhere).toEqual([]);
    await page.screenshot({ path: artifactPath('board-league.png') });
    await page.close();
  });

  it('shows an indicator\'s short name where it has one, and its whole name where not', async () => {
    const { page } = await open(`&token=${await server.token('screen')}`);
    const name = page.locator('.row[data-indicator="P3-17"] .name');
    await name.waitFor();
    const { indicator } = await server.ok('{ indicator(code: "P3-17") { name version } }', {}, await server.token('admin'));
    expect(await name.textContent()).toBe(indicator.name);
    await server.ok('mutation($input: UpdateIndicatorInput!) { updateIndicator(input: $input) { version } }',
      { input: { code: 'P3-17', expectedVersion: indicator.version, shortName: '社区照料中心' } }, await server.token('admin'));
    await until(async () => (await name.textContent()) === '社区照料中心', 'the short name on the wall', 10_000);
    await page.close();
  });

  it('reconnects by itself after the server drops it, and resumes from its last cursor: nothing missed, nothing twice', async () => {
    const { page, elsewhere } = await open(`&token=${await server.token('screen')}`);
    await page.locator('.row[data-indicator="P3-01"]').waitFor();
    await until(async () => (await connection(page)) === 'live', 'the live connection');
    await watched();
    await submit(31, 'board-page-before-drop');
    const before = await cityFigure('P3-01');
    await until(async () => (await figure(page, 'P3-01')) === before, 'the figure before the drop');

    // The server restarts its sockets; a figure lands while the board is away.
    server.closeWebSockets(1012, 'service restart');
    await submit(36, 'board-page-while-away');
    const after = await cityFigure('P3-01');
    await until(async () => (await figure(page, 'P3-01')) === after, 'the figure entered while away');
    await until(async () => (await connection(page)) === 'live', 'the connection back');
    // The board's activity shows each of the two figures once: resumed, not replayed.
    const items = await page.locator('#activity li', { hasText: '鹿城区 P3-01 报送' }).allTextContents();
    expect(items.filter((t) => t.includes('报送 31 家')).length).toBe(1);
    expect(items.filter((t) => t.includes('报送 36 家')).length).toBe(1);
    expect(elsewhere).toEqual([]);
    await page.close();
  });

  it('falls back to Server-Sent Events where the WebSocket is refused, says so, and resumes a dropped stream', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const elsewhere = requestsElsewhere(page, origin);
    // A proxy that refuses the upgrade: every WebSocket to the API closes before it opens.
    await page.routeWebSocket(/\/graphql$/, (ws) => { void ws.close({ code: 1006, reason: 'refused by the proxy' }); });
    await page.goto(`${origin}${BOARD}&token=${await server.token('screen')}`);
    await page.locator('.row[data-indicator="P3-01"]').waitFor();
    await until(async () => (await page.textContent('#connection')) === '实时 · SSE', 'the board live over SSE');
    await watched();
    await submit(41, 'board-page-sse');
    const live = await cityFigure('P3-01');
    await until(async () => (await figure(page, 'P3-01')) === live, 'the figure over SSE');

    server.dropStreams();
    await submit(42, 'board-page-sse-while-away');
    const after = await cityFigure('P3-01');
    await until(async () => (await figure(page, 'P3-01')) === after, 'the figure entered while the stream was away');
    await until(async () => (await page.textContent('#connection')) === '实时 · SSE', 'the stream back');
    const items = await page.locator('#activity li', { hasText: '鹿城区 P3-01 报送' }).allTextContents();
    expect(items.filter((t) => t.includes('报送 41 家')).length).toBe(1);
    expect(items.filter((t) => t.includes('报送 42 家')).length).toBe(1);
    expect(elsewhere).toEqual([]);
    await page.close();
  });
});
