import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { print } from 'graphql';
import WebSocket from 'ws';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';
import { BoardEventsDocument, SubmitDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';
import { sseSubscribe } from './helpers/event-source';

const root = join(__dirname, '..');

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: string; environment?: Record<string, string>; depends_on?: Record<string, unknown>; ports?: string[] }>;
  };

  it('runs two Duban instances on PostgreSQL and Redis, behind a balancer', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['balancer', 'duban-1', 'duban-2', 'postgres', 'redis']);
    expect(compose.services.postgres.image).toMatch(/^postgres:\d+/);
    expect(compose.services.redis.image).toMatch(/^redis:\d+/);
    for (const name of ['duban-1', 'duban-2']) {
      const duban = compose.services[name];
      expect(duban.build).toBe('.');
      expect(Object.keys(duban.depends_on!).sort()).toEqual(['postgres', 'redis']);
      // Migrations as the cluster's user, the server as the role the init script makes.
      const owner = new URL(duban.environment!.DATABASE_MIGRATION_URL);
      expect(owner.username).toBe(compose.services.postgres.environment!.POSTGRES_USER);
      const url = new URL(duban.environment!.DATABASE_URL);
      expect(url.hostname).toBe('postgres');
      expect(owner.hostname).toBe('postgres');
      expect(readFileSync(join(root, 'deploy', 'postgres-roles.sql'), 'utf8')).toMatch(new RegExp(`create role ${url.username} with login nosuperuser .* password '${url.password}'`));
      for (const u of [url, owner]) expect(u.pathname).toBe(`/${compose.services.postgres.environment!.POSTGRES_DB}`);
      expect(new URL(duban.environment!.REDIS_URL).hostname).toBe('redis');
      // Each accepts its configuration.
      expect(() => loadConfig({ ...duban.environment, JWT_SECRET: 's'.repeat(32), DUBAN_DEMO: 'on', DUBAN_NOW: '' })).not.toThrow();
    }
    expect(compose.services.balancer.ports).toContain('4000:80');
  });

  it('balances HTTP and WebSocket over both instances', () => {
    const nginx = readFileSync(join(root, 'deploy', 'nginx.conf'), 'utf8');
    expect(nginx).toMatch(/server duban-1:4000;/);
    expect(nginx).toMatch(/server duban-2:4000;/);
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(nginx).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(nginx).toMatch(/proxy_http_version 1\.1;/);
    expect(nginx).toMatch(/map \$http_upgrade \$connection_upgrade \{\s*default upgrade;\s*''\s+close;\s*\}/);
  });

  it('builds the image from the Dockerfile that starts the built server', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/CMD \["node", "dist\/src\/main\.js"\]/);
    expect(dockerfile).toMatch(/npm ci/);
  });
});

describe('.env.example', () => {
  it('names every variable the configuration reads', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const source = readFileSync(join(root, 'src', 'config.ts'), 'utf8');
    const read = [...new Set([...source.matchAll(/env\.([A-Z_]+)/g)].map((m) => m[1]))];
    expect(read.length).toBeGreaterThan(8);
    for (const name of read) expect(example).toContain(`${name}=`);
  });
});

/** Debian's nginx (`apt-get install nginx`); NGINX_PATH names another. */
const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const describeWithNginx = existsSync(NGINX) ? describe : describe.skip;
if (!existsSync(NGINX)) console.warn(`no nginx at ${NGINX}: the nginx suite is skipped (apt-get install nginx)`);

/**
 * deploy/nginx.conf is a conf.d file (the image's main nginx.conf includes it in `http`). Here it
 * is included by a minimal main file whose paths are all in a temporary prefix, so that neither
 * root nor /etc/nginx is needed. Its upstream hosts (duban-1, duban-2) only resolve inside the
 * compose network: nginx looks them up when it loads the file, so they are replaced by the
 * addresses given, and nothing else is changed.
 */
function nginxPrefix(upstreams: [string, string], listen?: string): { dir: string; conf: string } {
  const dir = mkdtempSync(join(tmpdir(), 'duban-nginx-'));
  let site = readFileSync(join(root, 'deploy', 'nginx.conf'), 'utf8')
    .replace('server duban-1:4000;', `server ${upstreams[0]};`)
    .replace('server duban-2:4000;', `server ${upstreams[1]};`);
  if (listen) site = site.replace(/listen 80;/, `listen ${listen};`);
  writeFileSync(join(dir, 'duban.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join('\n');
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `pid ${join(dir, 'nginx.pid')};\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n${temp}\n  include ${join(dir, 'duban.conf')};\n}\n`);
  return { dir, conf };
}

describeWithNginx('deploy/nginx.conf in nginx', () => {
  const dirs: string[] = [];
  afterAll(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

  it('passes nginx -t', () => {
    const { dir, conf } = nginxPrefix(['127.0.0.1:4000', '127.0.0.1:4001']);
    dirs.push(dir);
    const run = spawnSync(NGINX, ['-t', '-p', dir, '-c', conf, '-e', 'stderr'], { encoding: 'utf8' });
    expect(run.stderr).toMatch(/test is successful/);
    expect(run.status).toBe(0);
  });

  it('and nginx -t would catch a broken file', () => {
    const { dir, conf } = nginxPrefix(['127.0.0.1:4000', '127.0.0.1:4001']);
    dirs.push(dir);
    writeFileSync(join(dir, 'duban.conf'), readFileSync(join(dir, 'duban.conf'), 'utf8').replace('proxy_set_header Upgrade $http_upgrade;', 'proxy_set_header Upgrade;'));
    const run = spawnSync(NGINX, ['-t', '-p', dir, '-c', conf, '-e', 'stderr'], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/proxy_set_header/);
  });

  describe('in front of a running Duban', () => {
    let server: TestServer;
    let nginx: ChildProcess;
    let origin: string;
    beforeAll(async () => {
      server = await startTestServer();
      const upstream = new URL(server.url).host;
      const port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => { const { port: p } = probe.address() as { port: number }; probe.close(() => resolve(p)); });
      });
      const { dir, conf } = nginxPrefix([upstream, upstream], `127.0.0.1:${port}`);
      dirs.push(dir);
      // One process, in the foreground, as this user: no daemon, no workers switching user.
      nginx = spawn(NGINX, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off; master_process off;'], { stdio: 'ignore' });
      origin = `127.0.0.1:${port}`;
      await until(async () => (await fetch(`http://${origin}/healthz`).then((r) => r.status, () => 0)) === 200, 'nginx', 15_000);
    });
    afterAll(async () => {
      nginx?.kill('SIGTERM');
      await server?.close();
    });

    it('carries HTTP and the WebSocket upgrade: a board event arrives through the balancer', async () => {
      const ready = await fetch(`http://${origin}/readyz`);
      expect(ready.status).toBe(200);
      const client = createClient({ url: `ws://${origin}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${await server.token('screen')}` } });
      try {
        const event = new Promise<string>((resolve, reject) => {
          client.subscribe<{ boardEvents: { __typename: string } }>({ query: print(BoardEventsDocument), variables: { programme: 'P3', region: '330300' } }, {
            next: ({ data }) => { if (data?.boardEvents.__typename === 'ProgressChanged') resolve(data.boardEvents.__typename); },
            error: reject,
            complete: () => undefined,
          });
        });
        await until(async () => {
          const { json } = await server.post(JSON.stringify({ query: '{ boardWatchers(programme: "P3", region: "330300") { username } }' }), await server.token('screen'));
          return JSON.stringify(json.data).includes('"screen"');
        }, 'the subscription through nginx');
        const sent = await fetch(`http://${origin}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await server.token('lucheng')}` },
          body: JSON.stringify({ query: print(SubmitDocument), variables: { input: { indicator: 'P3-01', region: '330302', value: 9, asOf: '2019-06-30', idempotencyKey: 'through-nginx' } } }),
        });
        expect(((await sent.json()) as { errors?: unknown }).errors).toBeUndefined();
        expect(await event).toBe('ProgressChanged');
      } finally {
        await client.dispose();
      }
    });

    it('carries Server-Sent Events unbuffered: a board event arrives through the balancer', async () => {
      const stream = sseSubscribe([`http://${origin}/graphql/stream`], await server.token('screen'), print(BoardEventsDocument), { programme: 'P3', region: '330300' });
      try {
        await until(() => server.services.events.listenerCount === 1, 'the stream through nginx');
        await server.ok(print(SubmitDocument), { input: { indicator: 'P3-01', region: '330302', value: 11, asOf: '2019-06-30' } }, await server.token('lucheng'));
        await until(() => stream.received.some((e) => e.data?.boardEvents?.__typename === 'ProgressChanged'), 'the event through nginx');
        expect(stream.received.every((e) => e.id === e.data.boardEvents.cursor)).toBe(true);
      } finally {
        stream.close();
      }
    });
  });
});
