import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// `npm start` (prestart: scripts/build-stamp.mjs if-changed) builds only when a source changed
// since the last `npm run build`, which the test run itself has just done.
const root = resolve(__dirname, '..');
const run = promisify(execFile);
const stamp = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [join(root, 'scripts/build-stamp.mjs'), ...args], { cwd: root, env: { ...process.env, ...env } })
  .then(({ stdout }) => ({ code: 0, stdout }), (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }));
const fingerprint = async (dir: string) => (await run(process.execPath, ['--input-type=module', '-e',
  `import { fingerprint } from ${JSON.stringify(join(root, 'scripts/build-stamp.mjs'))}; console.log(fingerprint(${JSON.stringify(dir)}, ['src']));`])).stdout.trim();

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'duban-stamp-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the build stamp', () => {
  it('does not rebuild an unchanged tree', async () => {
    const check = await stamp(['check']);
    expect(check).toEqual({ code: 0, stdout: expect.stringContaining('no build needed') });
    const start = await stamp(['if-changed']);
    expect(start.stdout).toContain('no build needed');
  });

  it('asks for a build when the tree is not the one dist was built from', async () => {
    const other = join(dir, 'stale-stamp');
    writeFileSync(other, 'a tree of before\n');
    expect((await stamp(['check'], { DUBAN_BUILD_STAMP: other })).code).toBe(1);
    expect((await stamp(['check'], { DUBAN_BUILD_STAMP: join(dir, 'no-stamp') })).code).toBe(1);
  });

  it('changes its fingerprint when a source is edited, added or touched', async () => {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
    const first = await fingerprint(dir);
    expect(await fingerprint(dir)).toBe(first);
    writeFileSync(join(dir, 'src', 'a.ts'), 'export const a = 2;\n');
    utimesSync(join(dir, 'src', 'a.ts'), new Date(), new Date(Date.now() + 5_000));
    const edited = await fingerprint(dir);
    expect(edited).not.toBe(first);
    writeFileSync(join(dir, 'src', 'b.ts'), '');
    expect(await fingerprint(dir)).not.toBe(edited);
  });
});
