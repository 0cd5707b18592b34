// `npm start` rebuilds only when a source changed. The build's inputs (the sources, the migrations,
// the tsconfigs, the copied assets, the lockfile) are fingerprinted by path, size and modification
// time; `npm run build` writes the fingerprint to dist/.build-stamp when it succeeds.
//   node scripts/build-stamp.mjs write        after a build: record the tree it was built from
//   node scripts/build-stamp.mjs if-changed   before start: build unless dist was built from this tree
//   node scripts/build-stamp.mjs check        say whether a build is needed (exit 0 current, 1 stale)
// DUBAN_BUILD_STAMP names another stamp file (the tests use it).
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INPUTS = ['src', 'migrations', 'scripts/copy-assets.mjs', 'test/contract', 'client/persisted-documents.json',
  'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** A fingerprint of every file under `paths` (relative to `root`): path, size and mtime. Dotfiles (the
 * migrations' snapshot, which the ORM rewrites) are not the build's. */
export function fingerprint(root, paths = INPUTS) {
  const hash = createHash('sha256');
  const visit = (path) => {
    const full = join(root, path);
    if (!existsSync(full)) return;
    const stat = statSync(full);
    if (stat.isDirectory()) { for (const name of readdirSync(full).sort()) if (!name.startsWith('.')) visit(join(path, name)); return; }
    hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\n`);
  };
  for (const path of paths) visit(path);
  return hash.digest('hex');
}

const root = join(fileURLToPath(import.meta.url), '..', '..');
const stampFile = process.env.DUBAN_BUILD_STAMP ?? join(root, 'dist', '.build-stamp');
const current = () => existsSync(join(root, 'dist', 'src', 'main.js')) && existsSync(stampFile)
  && readFileSync(stampFile, 'utf8').trim() === fingerprint(root);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'write') {
    writeFileSync(stampFile, `${fingerprint(root)}\n`);
  } else if (command === 'check') {
    const ok = current();
    console.log(ok ? 'dist is current: no build needed' : 'a source changed since the last build: a build is needed');
    process.exit(ok ? 0 : 1);
  } else if (command === 'if-changed') {
    if (current()) console.log('dist is current: no build needed');
    else execSync('npm run build', { cwd: root, stdio: 'inherit' });
  } else {
    console.error('usage: node scripts/build-stamp.mjs write|check|if-changed');
    process.exit(2);
  }
}
