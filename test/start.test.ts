import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

/**
 * `npm start` as a user runs it: the built server on its embedded PostgreSQL, in a data directory
 * of its own. (`npm test` builds first.)
 */
const main = join(__dirname, '..', 'dist', 'src', 'main.js');
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'duban-start-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started { child: ChildProcess; lines: string[]; url: string; exited: Promise<number | null> }

function start(env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', DUBAN_DATA_DIR: join(dataDir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const match = /API \(HTTP\):\s+(\S+)/.exec(line);
        if (match) resolve({ child, lines, url: match[1], exited });
      });
    }
    void exited.then((code) => reject(Object.assign(new Error(`exited with ${code}: ${lines.join('\n')}`), { code, lines })));
  });
}

async function failure(env: NodeJS.ProcessEnv): Promise<{ code: number; lines: string[] }> {
  try {
    const started = await start(env);
    started.child.kill('SIGTERM');
    throw new Error('it started');
  } catch (error) {
    return error as { code: number; lines: string[] };
  }
}

async function tokenOf(url: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation { login(username: "screen", password: "demo") { token } }' }),
  });
  return ((await res.json()) as { data: { login: { token: string } } }).data.login.token;
}

async function login(url: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation { login(username: "screen", password: "demo") { user { role } } }' }),
  });
  return res.json();
}

describe('npm start', () => {
  it('starts an embedded PostgreSQL, loads the demo, says where everything is, and stops on SIGTERM', async () => {
    const first = await start();
    expect(first.lines.join('\n')).toMatch(/Loaded the Wenzhou 2019 demo/);
    expect(first.lines.join('\n')).toMatch(/Playground:\s+http:\/\/localhost:\d+\/playground/);
    expect(first.lines.join('\n')).toMatch(/today is 2019-06-30/);
    expect(await login(first.url)).toEqual({ data: { login: { user: { role: 'VIEWER' } } } });
    const page = await fetch(first.url.replace(/graphql$/, 'playground'));
    expect(await page.text()).toMatch(/\/playground\/assets\/graphiql\.js/);
    expect((await fetch(first.url.replace(/graphql$/, 'playground/assets/graphiql.js'))).status).toBe(200);

    // A second server on the same data directory says why it cannot start, in one line.
    const second = await failure({});
    expect(second.code).toBe(1);
    expect(second.lines).toHaveLength(1);
    expect(second.lines[0]).toMatch(/^duban: .*in use by another PostgreSQL/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Started again, it finds its data: the demo is not loaded twice.
    const again = await start({ DUBAN_NOW: '2019-09-01' });
    expect(again.lines.join('\n')).not.toMatch(/Loaded the Wenzhou/);
    expect(again.lines.join('\n')).toMatch(/today is 2019-09-01/);
    expect(await login(again.url)).toEqual({ data: { login: { user: { role: 'VIEWER' } } } });

    // SIGTERM: sockets close with 1001 (going away: reconnect elsewhere), and the process exits 0
    // (past its 10 s grace it would exit 1).
    const token = await tokenOf(again.url);
    const closeCode = new Promise<number>((resolve) => {
      const socket = new WebSocket(again.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'connection_ack') again.child.kill('SIGTERM');
      });
      socket.on('close', (code) => resolve(code));
    });
    expect(await closeCode).toBe(1001);
    expect(await again.exited).toBe(0);
    // Three real starts of PostgreSQL and the server, the first one making its cluster.
  }, 180_000);

  it('refuses a bad configuration in one line, and starts nothing', async () => {
    const { code, lines } = await failure({ DUBAN_NOW: 'yesterday' });
    expect(code).toBe(1);
    expect(lines).toEqual(['duban: configuration: DUBAN_NOW must be a date as YYYY-MM-DD, not "yesterday"']);
  });

  it('says in one line when the external database cannot be reached', async () => {
    const { code, lines } = await failure({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/duban', JWT_SECRET: 'x'.repeat(32) });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^duban: /);
  });
});
