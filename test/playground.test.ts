import type { Browser, Page } from 'playwright-core';
import { SubmitDocument } from './generated/graphql';
import { artifactPath, describeInBrowser, launchBrowser, requestsElsewhere } from './helpers/browser';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';
import { playgroundTabs } from '../src/web/playground/playground';

let server: TestServer;
let origin: string;
beforeAll(async () => {
  server = await startTestServer();
  origin = new URL(server.url).origin;
});
afterAll(() => server.close());

describe('the playground over HTTP', () => {
  it('is what a browser gets at GET /graphql, and at /playground', async () => {
    for (const path of ['/graphql', '/playground']) {
      const res = await fetch(origin + path, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toMatch(/\/playground\/assets\/graphiql\.js/);
      // Nothing it loads comes from another host.
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it('leaves GraphQL at /graphql to the API: a GET with a query, a client asking for JSON, a POST', async () => {
    const get = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'text/html,*/*', 'apollo-require-preflight': 'true' },
    });
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    const json = await fetch(server.url, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).not.toMatch(/html/);
    const post = await server.post(JSON.stringify({ query: '{ __typename }' }));
    expect(post.json).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves its scripts from the server, and nothing else under its assets', async () => {
    for (const name of ['react.js', 'react-dom.js', 'graphiql.js', 'graphiql.css', 'graphql-ws.js', 'playground.js', 'playground.css']) {
      expect((await fetch(`${origin}/playground/assets/${name}`)).status).toBe(200);
    }
    expect((await fetch(`${origin}/playground/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${origin}/playground/assets/nothing.js`)).status).toBe(404);
  });

  it('has a favicon, at /favicon.ico, that both pages name', async () => {
    const icon = await fetch(`${origin}/favicon.ico`);
    expect([icon.status, icon.headers.get('content-type')]).toEqual([200, 'image/x-icon']);
    expect([...new Uint8Array(await icon.arrayBuffer()).slice(0, 4)]).toEqual([0, 0, 1, 0]);
    for (const path of ['/playground', '/board']) {
      expect(await (await fetch(`${origin}${path}`)).text()).toContain('<link rel="icon" href="/favicon.ico">');
    }
  });

  it('offers every contract operation as a tab, word for word', () => {
    const tabs = playgroundTabs();
    expect(tabs.map((t) => t.query.match(/^(query|mutation|subscription) (\w+)/m)?.[2])).toEqual(['Login', 'Board', 'BoardEvents', 'Region', 'Submit', 'SubmitFigures']);
    for (const tab of tabs) if (tab.variables) expect(() => JSON.parse(tab.variables!)).not.toThrow();
  });
});

describe('outside demo mode', () => {
  it('offers no demo account, on the playground or the board', async () => {
    const plain = await startTestServer({ env: { DUBAN_DEMO: 'off', DUBAN_PLAYGROUND: 'on' } });
    try {
      const base = new URL(plain.url).origin;
      const playground = await (await fetch(`${base}/playground`)).text();
      expect(JSON.parse(/<script id="duban-playground" type="application\/json">(.*?)<\/script>/.exec(playground)![1]).demoAccounts).toEqual([]);
      const board = await (await fetch(`${base}/board`)).text();
      expect(JSON.parse(/<script id="duban-board" type="application\/json">(.*?)<\/script>/.exec(board)![1]).demoAccount).toBeNull();
      // In demo mode, they are there.
      const demo = await (await fetch(`${origin}/playground`)).text();
      expect(JSON.parse(/<script id="duban-playground" type="application\/json">(.*?)<\/script>/.exec(demo)![1]).demoAccounts).toEqual(['admin', 'leader', 'yanglao', 'lucheng', 'wuma', 'screen']);
    } finally {
      await plain.close();
    }
  });
});

describeInBrowser('the playground in a browser', () => {
  let browser: Browser;
  let page: Page;
  let elsewhere: string[];
  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    elsewhere = requestsElsewhere(page, origin);
    await page.goto(`${origin}/graphql`);
    await page.locator('.graphiql-container').waitFor();
  });
  afterAll(() => browser?.close());

  // Opens a tab and waits until its operation is in the editor (a click alone may run the tab before).
  const openTab = async (name: string) => {
    await page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${name}$`) }).click();
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    const text = () => editor.evaluate((node) => (node as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
    await until(async () => new RegExp(`^(query|mutation|subscription) ${name}\\b`, 'm').test(await text()), `the ${name} tab`, 15_000);
  };
  // The result pane's text, from its CodeMirror editor.
  const result = () => page.locator('.result-window .CodeMirror').evaluate((node) => (node as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
  /** The first result shown that matches (a later event may replace it). */
  const resultMatching = async (pattern: RegExp) => {
    let matched = '';
    await until(async () => pattern.test((matched = await result())), `a result matching ${pattern}`, 15_000);
    return matched;
  };

  it('says why a wrong password does not sign in', async () => {
    await page.fill('#signin input[name=username]', 'screen');
    await page.fill('#signin input[name=password]', 'wrong');
    await page.click('#signin button[type=submit]');
    await page.locator('#signed-in.error').waitFor();
    expect(await page.textContent('#signed-in')).toMatch(/./);
  });

  it('refuses a board query before sign-in with UNAUTHENTICATED', async () => {
    await openTab('Board');
    await page.click('.graphiql-execute-button');
    expect(await resultMatching(/UNAUTHENTICATED/)).toMatch(/"code": "UNAUTHENTICATED"/);
  });

  it('signs in with a demo account in one click, then runs the contract\'s board query', async () => {
    await page.click('#demo-accounts button[data-account="screen"]');
    await page.locator('#signed-in', { hasText: 'screen' }).waitFor();
    await openTab('Board');
    await page.click('.graphiql-execute-button');
    const text = await resultMatching(/"code": "P3-01"/);
    expect(JSON.parse(text).data.programme.indicators[0]).toMatchObject({ code: 'P3-01', progress: { actual: 25 } });
  });

  it('runs the contract\'s subscription over WebSocket and shows a figure as it lands', async () => {
    await openTab('BoardEvents');
    await page.click('.graphiql-execute-button');
    // The subscription is live once the server lists this screen among the board's watchers.
    const screen = await server.token('screen');
    await until(async () => {
      const { json } = await server.post(JSON.stringify({ query: '{ boardWatchers(programme: "P3", region: "330300") { username } }' }), screen);
      return JSON.stringify(json.data).includes('"screen"');
    }, 'the playground\'s subscription').catch(async (error) => { await page.screenshot({ path: artifactPath('playground-failed.png') }); throw error; });
    const sent = await server.gql(SubmitDocument, {
      input: { indicator: 'P3-01', region: '330302', value: 30, asOf: '2019-06-30', idempotencyKey: 'playground-subscription' },
    }, await server.token('lucheng'));
    expect(sent.errors).toBeUndefined();
    // The window shows the latest event: the figure's ProgressChanged, until a notice the engine judges after it may follow.
    expect(await resultMatching(/ProgressChanged/)).toMatch(/"code": "P3-01"/);
  });

  it('signs out in a neutral colour, and its running subscription ends', async () => {
    const colour = () => page.$eval('#signed-in', (node) => (globalThis as unknown as { getComputedStyle(n: unknown): { color: string } }).getComputedStyle(node).color.match(/\d+/g)!.map(Number));
    const signedIn = await colour();
    await page.click('#signout');
    await page.locator('#signed-in', { hasText: 'Signed out' }).waitFor();
    const signedOut = await colour();
    expect(signedOut).not.toEqual(signedIn);
    // Grey: its red, green and blue close together (signed in is green, an error red).
    expect(Math.max(...signedOut.slice(0, 3)) - Math.min(...signedOut.slice(0, 3))).toBeLessThan(24);
    const screen = await server.token('screen');
    await until(async () => {
      const { json } = await server.post(JSON.stringify({ query: '{ boardWatchers(programme: "P3", region: "330300") { username } }' }), screen);
      return !JSON.stringify(json.data).includes('"screen"');
    }, 'the playground\'s subscription to end');
  });

  it('loaded everything from the server: no request to any other host', () => {
    expect(elsewhere).toEqual([]);
  });
});
