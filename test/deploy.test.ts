import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';

const root = join(__dirname, '..');

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: string; environment?: Record<string, string>; depends_on?: Record<string, unknown>; ports?: string[] }>;
  };

  it('runs PostgreSQL and Duban against it', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['duban', 'postgres']);
    expect(compose.services.postgres.image).toMatch(/^postgres:\d+/);
    const duban = compose.services.duban;
    expect(duban.build).toBe('.');
    expect(duban.depends_on).toHaveProperty('postgres');
    const url = new URL(duban.environment!.DATABASE_URL);
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(compose.services.postgres.environment!.POSTGRES_USER);
    expect(url.pathname).toBe(`/${compose.services.postgres.environment!.POSTGRES_DB}`);
    expect(duban.ports).toContain('4000:4000');
  });

  it('gives Duban a configuration it accepts', () => {
    const env = { ...compose.services.duban.environment, JWT_SECRET: 's'.repeat(32), DUBAN_DEMO: 'on', DUBAN_NOW: '' };
    expect(() => loadConfig(env)).not.toThrow();
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
