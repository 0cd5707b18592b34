import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema as buildSdl, parse, validate } from 'graphql';
import { printSortedSchema } from '../src/server/schema';

const root = join(__dirname, '..');

describe('schema/schema.graphql', () => {
  it('is what the code builds, sorted (run npm run schema after changing the API)', () => {
    expect(readFileSync(join(root, 'schema', 'schema.graphql'), 'utf8')).toBe(`${printSortedSchema()}\n`);
  });

  it.each(readdirSync(join(root, 'test', 'contract')).filter((f) => f.endsWith('.graphql')))('validates the contract operation %s', (file) => {
    const schema = buildSdl(readFileSync(join(root, 'schema', 'schema.graphql'), 'utf8'));
    const errors = validate(schema, parse(readFileSync(join(root, 'test', 'contract', file), 'utf8')));
    expect(errors.map((e) => e.message)).toEqual([]);
  });
});
