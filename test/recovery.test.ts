import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { until } from './helpers/until';

/**
 * The embedded PostgreSQL killed under traffic (SIGKILL to its postmaster, as the OOM killer
 * would): the server, started as `npm start` starts it, starts PostgreSQL again, answers again
 * within 15 s, loses no write it acknowledged, and its open subscriptions go on.
 */
const main = join(__dirname, '..', 'dist', 'src', 'main.js');
let dataDir: string;
let child: ChildProcess | undefined;
const lines: string[] = [];
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'duban-recovery-'));
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

function start(): Promise<string> {
  child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', DUBAN_DATA_DIR: join(dataDir, 'data'), DUBAN_EVENT_POLL_MS: '200', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    for (const stream of [child!.stdout!, child!.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const match = /API \(HTTP\):\s+(\S+)/.exec(line);
        if (match) resolve(match[1].replace('localhost', '127.0.0.1'));
      });
    }
    child!.once('exit', (code) => reject(new Error(`exited with ${code}: ${lines.join('\n')}`)));
  });
}

interface Answer { status: number; code: string; data: any }

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, code: json.errors?.length ? String(json.errors[0].extensions?.code) : 'OK', data: json.data };
}

const SUBMIT = `mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }`;
const SUBMISSIONS = `query($after: String) { submissions(filter: { indicator: "P3-02", region: "330302" }, first: 500, after: $after) {
  nodes { id } pageInfo { hasNextPage endCursor } } }`;
const EVENTS = `subscription { boardEvents(programme: "P3", region: "330302") { __typename cursor } }`;

it('starts a killed PostgreSQL again, answers again within 15 s, loses no acknowledged write, and its subscriptions go on', async () => {
  const url = await start();
  const login = async (username: string) => (await gql(url, 'mutation($u: String!) { login(username: $u, password: "demo") { token } }', { u: username })).data.login.token as string;
  const reporter = await login('lucheng');
  const leader = await login('leader');

  // A board open on a socket.
  const events: string[] = [];
  let closeCode: number | undefined;
  const ws: Client = createClient({
    url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false,
    connectionParams: { authorization: `Bearer ${leader}` },
    on: { closed: (event) => { closeCode = (event as { code: number }).code; } },
  });
  let subscribed = false;
  ws.subscribe({ query: EVENTS }, {
    next: ({ data }) => { const e = (data as any)?.boardEvents; if (e && e.__typename !== 'PresenceChanged') events.push(e.cursor); },
    error: () => undefined, complete: () => undefined,
  });
  ws.on('connected', () => { subscribed = true; });
  await until(() => subscribed, 'the socket');

  // Two writers, one figure after another each; every answer kept.
  const acknowledged: string[] = [];
  const refusals: { status: number; code: string }[] = [];
  let n = 0;
  let writing = true;
  let lastAcknowledgedAt = 0;
  const writer = async () => {
    while (writing) {
      n += 1;
      const answer = await gql(url, SUBMIT, { input: { indicator: 'P3-02', region: '330302', asOf: '2019-06-30', value: 100 + n, idempotencyKey: `recovery-${n}` } }, reporter)
        .catch(() => ({ status: 0, code: 'NO_ANSWER', data: null }));
      if (answer.code === 'OK') {
        acknowledged.push(answer.data.submitFigure.submission.id);
        lastAcknowledgedAt = Date.now();
      } else {
        refusals.push({ status: answer.status, code: answer.code });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const writers = [writer(), writer()];
  await until(() => acknowledged.length >= 5, 'writes before the kill');
  await until(() => events.length >= 1, 'an event on the board before the kill');

  // The postmaster, from its lock file (pid on the first line).
  const pid = Number(readFileSync(join(dataDir, 'data', 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  expect(pid).toBeGreaterThan(0);
  const before = acknowledged.length;
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();

  // Answering again: a write acknowledged after the kill, within 15 s of it.
  await until(() => lastAcknowledgedAt > killedAt && acknowledged.length > before, 'a write acknowledged after the kill', 15_000);
  writing = false;
  await Promise.all(writers);
  expect(lines.join('\n')).toMatch(/embedded PostgreSQL \(pid \d+\) exited \(SIGKILL\); starting it again/);
  // Logged once its start returns, which may be a moment after the first connection it accepts.
  await until(() => /embedded PostgreSQL: running again/.test(lines.join('\n')), 'the restart in the log', 10_000);
  const newPid = Number(readFileSync(join(dataDir, 'data', 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  expect(newPid).not.toBe(pid);

  // Meanwhile the API said it was unavailable, as a 503 with a code, never a masked 500.
  expect(refusals.filter((r) => r.code !== 'SERVICE_UNAVAILABLE' || r.status !== 503)).toEqual([]);

  // Every acknowledged write is there.
  const stored = new Set<string>();
  for (let after: string | null = null; ;) {
    const page: Answer = await gql(url, SUBMISSIONS, { after }, leader);
    expect(page.code).toBe('OK');
    for (const node of page.data.submissions.nodes) stored.add(node.id);
    if (!page.data.submissions.pageInfo.hasNextPage) break;
    after = page.data.submissions.pageInfo.endCursor;
  }
  expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  // Ready again once its event bus listens again (it reconnects with backoff).
  await until(async () => (await fetch(url.replace(/graphql$/, 'readyz'))).status === 200, '/readyz answering 200', 15_000);

  // The board's socket goes on: the next figure reaches it (or the socket was closed with 1011, to resume with its cursor).
  const seen = events.length;
  const last = await gql(url, SUBMIT, { input: { indicator: 'P3-02', region: '330302', asOf: '2019-06-30', value: 1, idempotencyKey: 'recovery-last' } }, reporter);
  expect(last.code).toBe('OK');
  await until(() => events.length > seen || closeCode !== undefined, 'the board hearing of the figure after the restart', 15_000);
  if (closeCode !== undefined) expect(closeCode).toBe(1011);
  else expect(BigInt(events[events.length - 1])).toBeGreaterThan(BigInt(events[seen - 1]));
  await ws.dispose();
}, 120_000);
