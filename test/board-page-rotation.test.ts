import type { Browser, Page } from 'playwright-core';
import { artifactPath, describeInBrowser, launchBrowser, requestsElsewhere } from './helpers/browser';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

// A screen token that names three boards, and a wall that rotates through them: one socket, one
// subscription per board, every board's events applied while it is off screen, and back by itself
// after the server drops its sockets.
let server: TestServer;
let origin: string;
beforeAll(async () => {
  server = await startTestServer();
  origin = new URL(server.url).origin;
});
afterAll(() => server.close());

const PLAYLIST = [
  { programme: 'P3', region: '330300', seconds: 3 },
  { programme: 'P1', region: '330300', seconds: 2 },
  { programme: 'P3', region: '330302', seconds: 3 },
];

describeInBrowser('a wall rotating through a screen token\'s boards', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchBrowser(); });
  afterAll(() => browser?.close());

  async function screenToken(): Promise<string> {
    const made = await server.ok('mutation($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token } }', {
      input: { name: '三楼会议室', boards: PLAYLIST.map(({ programme, region }) => ({ programme, region })) },
    }, await server.token('admin'));
    return made.createScreenToken.token;
  }
  async function submit(value: number, key: string): Promise<void> {
    await server.ok('mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }', {
      input: { indicator: 'P3-01', region: '330302', value, asOf: '2019-06-30', idempotencyKey: key },
    }, await server.token('lucheng'));
  }
  /** Every board of the playlist has this screen among its watchers: its subscription is in place. */
  async function watchedEverywhere(name: string): Promise<void> {
    const admin = await server.token('admin');
    await until(async () => {
      for (const { programme, region } of PLAYLIST) {
        const { boardWatchers } = await server.ok('query($p: String!, $r: String!) { boardWatchers(programme: $p, region: $r) { username } }', { p: programme, r: region }, admin);
        if (boardWatchers.length === 0) return false;
      }
      return true;
    }, `${name}: a subscription on every board`);
  }
  const onScreen = async (page: Page) => `${(await page.textContent('#programme-name'))!.split(' ')[0]}@${await page.textContent('#region-name')}`;
  /** Waits until the wall shows `programme` at `regionName`. */
  const shows = (page: Page, board: string) => until(async () => (await onScreen(page)) === board, `${board} on the wall`, 15_000);
  const figure = async (page: Page) => Number((await page.locator('.row[data-indicator="P3-01"] .actual').textContent())!.replace(/,/g, ''));

  it('rotates with each board\'s duration, says what comes next, and keeps every board\'s events on one socket', async () => {
    const token = await screenToken();
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const elsewhere = requestsElsewhere(page, origin);
    const sockets: string[] = [];
    const open = new Set<unknown>();
    page.on('websocket', (socket) => {
      sockets.push(socket.url());
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    const rotate = PLAYLIST.map((b) => `${b.programme}:${b.region}:${b.seconds}`).join(',');
    await page.goto(`${origin}/board?rotate=${rotate}&token=${token}`);

    await shows(page, 'P3@温州市');
    expect(await page.getAttribute('#next', 'data-next')).toBe('P1:330300:rows');
    // The next board's names once it is read (its code until then).
    await until(async () => /^下一个：P1 .+ · 温州市，\d+ 秒后$/.test((await page.textContent('#next')) ?? ''), 'the next board named');
    await until(async () => (await page.getAttribute('#connection', 'data-state')) === 'live', 'the live connection');
    await watchedEverywhere('before');
    const cityBefore = await figure(page);

    // While P1 is on screen, a figure lands for P3 at 鹿城区: both P3 boards take it off screen.
    await shows(page, 'P1@温州市');
    expect(await page.getAttribute('#next', 'data-next')).toBe('P3:330302:rows');
    await submit(41, 'rotation-off-screen');
    await shows(page, 'P3@鹿城区');
    await until(async () => (await figure(page)) === 41, 'the county board\'s figure, taken while off screen');
    await shows(page, 'P3@温州市');
    await until(async () => (await figure(page)) !== cityBefore, 'the city board\'s figure, taken while off screen');
    expect(await page.locator('#activity li', { hasText: '鹿城区 P3-01 报送 41 家' }).count()).toBe(1);
    expect(sockets).toHaveLength(1);

    // The server drops every socket; a figure lands while the wall is away.
    server.closeWebSockets(1012, 'service restart');
    await submit(43, 'rotation-while-away');
    await until(async () => (await page.getAttribute('#connection', 'data-state')) === 'live' && sockets.length > 1, 'the connection back');
    await watchedEverywhere('after');
    await shows(page, 'P3@鹿城区');
    await until(async () => (await figure(page)) === 43, 'the figure entered while away');
    await shows(page, 'P3@温州市');
    await until(async () => (await page.locator('#activity li', { hasText: '鹿城区 P3-01 报送 43 家' }).count()) === 1, 'the city board\'s item for it');
    // Resumed, not replayed: each figure once.
    expect(await page.locator('#activity li', { hasText: '鹿城区 P3-01 报送 41 家' }).count()).toBe(1);
    await page.screenshot({ path: artifactPath('board-rotation.png') });
    expect(open.size).toBe(1);
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows a board the token does not name as an error in Chinese, and rotates on through the others', async () => {
    const token = await screenToken();
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${origin}/board?rotate=P3:330300:2,P2:330300:2&token=${token}`);
    await until(async () => (await page.textContent('#problem'))!.startsWith('无法显示看板（项目 P2，地区 330300）'), 'the refused board');
    expect(await page.textContent('#problem')).toBe('无法显示看板（项目 P2，地区 330300）：此屏幕无权显示该看板');
    await shows(page, 'P3@温州市');
    expect(await page.isHidden('#problem')).toBe(true);
    expect(await page.getAttribute('#connection', 'data-state')).toBe('live');
    await page.close();
  }, 60_000);

  it('shows a stale badge when the socket falls silent past the ping interval, then reconnects by itself', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    let silenced = false;
    let sockets = 0;
    // Between the page and the server: pass everything, until the server's side falls silent.
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      sockets += 1;
      const upstream = ws.connectToServer();
      const mine = sockets;
      ws.onMessage((message) => upstream.send(message));
      upstream.onMessage((message) => { if (!(silenced && mine === 1)) ws.send(message); });
    });
    await page.goto(`${origin}/board?programme=P3&region=330300&ping=1&token=${await server.token('screen')}`);
    await until(async () => (await page.getAttribute('#connection', 'data-state')) === 'live', 'the live connection');
    expect(await page.isHidden('#stale')).toBe(true);
    silenced = true;
    await page.locator('#stale', { hasText: /^\d+ 秒无信号$/ }).waitFor({ timeout: 10_000 });
    expect(await page.getAttribute('#connection', 'data-state')).toBe('live');
    // Silent past two pings and then some: the page gives the socket up and opens another.
    await until(async () => sockets === 2 && (await page.getAttribute('#connection', 'data-state')) === 'live' && await page.isHidden('#stale'), 'a new socket', 30_000);
    await page.close();
  }, 60_000);
});
