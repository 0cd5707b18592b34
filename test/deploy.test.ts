import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';

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
      const url = new URL(duban.environment!.DATABASE_URL);
      expect(url.hostname).toBe('postgres');
      expect(url.username).toBe(compose.services.postgres.environment!.POSTGRES_USER);
      expect(url.pathname).toBe(`/${compose.services.postgres.environment!.POSTGRES_DB}`);
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
