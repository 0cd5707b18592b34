import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

// The typed client (client/) in a front end as Vite's template sets one up: TypeScript strict with
// verbatimModuleSyntax and bundler resolution, type-checked by tsc, bundled by esbuild.
const root = resolve(__dirname, '..');
const run = promisify(execFile);
let dir: string;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'],
    strict: true, verbatimModuleSyntax: true, isolatedModules: true, noEmit: true, skipLibCheck: true, types: [],
  },
  include: ['src'],
};

const CONSUMER = `import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { print } from 'graphql';
import { BoardIdsDocument, type BoardIdsQuery, type BoardIdsQueryVariables } from '../client/operations';
import introspection from '../client/possible-types';
import type { ProgressStatus } from '../client/schema';
import schema from '../client/urql-schema';

const client = new ApolloClient({
  link: new HttpLink({ uri: '/graphql', headers: { authorization: 'Bearer t' } }),
  cache: new InMemoryCache({ possibleTypes: introspection.possibleTypes }),
});

export async function statuses(variables: BoardIdsQueryVariables): Promise<ProgressStatus[]> {
  const { data } = await client.query({ query: BoardIdsDocument, variables });
  const board: BoardIdsQuery | undefined = data;
  return board?.programme.indicators.map((i) => i.progress.status) ?? [];
}

export const text = print(BoardIdsDocument);
export const types = schema.__schema.types.length;
`;

async function tsc(): Promise<{ code: number; out: string }> {
  try {
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
    return { code: 0, out: '' };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'duban-consumer-'));
  cpSync(join(root, 'client'), join(dir, 'client'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  mkdirSync(join(dir, 'src'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the typed client in a bundled front end', () => {
  it('type-checks under verbatimModuleSyntax and bundles with esbuild, with no import of a type-only package left', async () => {
    writeFileSync(join(dir, 'src', 'main.ts'), CONSUMER);
    expect(await tsc()).toEqual({ code: 0, out: '' });

    const bundled = await build({
      entryPoints: [join(dir, 'src', 'main.ts')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
      absWorkingDir: dir,
    });
    expect(bundled.errors).toEqual([]);
    const code = bundled.outputFiles[0].text;
    expect(code).not.toMatch(/@graphql-typed-document-node\/core/);
    expect(code).toContain('BoardIds');
  }, 120_000);

  it('fails, as the issue saw it, when a generated file imports a type as a value (the control)', async () => {
    writeFileSync(join(dir, 'src', 'main.ts'), `import { TypedDocumentNode } from '@graphql-typed-document-node/core';\nexport type Doc = TypedDocumentNode<{ a: number }, {}>;\n`);
    const result = await tsc();
    expect(result.code).not.toBe(0);
    expect(result.out).toContain('TS1484');
  }, 120_000);
});
