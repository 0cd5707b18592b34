import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The layers, as imports say them: modules import the core and each other, never the server (the
 * root that imports every module); the core imports no module at run time (types only).
 */
const SRC = join(__dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Each import of a file: its target (resolved against src) and whether it is `import type`. */
function imports(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import (type )?[^'"]*?from '(\.[^']+)';/gms)].map((m) => ({
    typeOnly: Boolean(m[1]),
    target: relative(SRC, join(file, '..', m[2])),
  }));
}

describe('the layers of src', () => {
  it('finds the imports it checks (a module imports the core)', () => {
    const all = files(join(SRC, 'modules')).flatMap(imports);
    expect(all.some((i) => i.target.startsWith('core/'))).toBe(true);
  });

  it('no module, nor the core, common or db, imports the server', () => {
    const offenders = ['modules', 'core', 'common', 'db'].flatMap((layer) => files(join(SRC, layer)))
      .flatMap((file) => imports(file).filter((i) => i.target.startsWith('server/')).map((i) => `${relative(SRC, file)} → ${i.target}`));
    expect(offenders).toEqual([]);
  });

  it('the core imports no module but for types', () => {
    const offenders = files(join(SRC, 'core'))
      .flatMap((file) => imports(file).filter((i) => i.target.startsWith('modules/') && !i.typeOnly).map((i) => `${relative(SRC, file)} → ${i.target}`));
    expect(offenders).toEqual([]);
  });
});
