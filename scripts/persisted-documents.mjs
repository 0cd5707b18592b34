// Part of `npm run codegen`: the manifest of trusted documents, client/persisted-documents.json,
// hash → document. Its operations: the contract's (test/contract, and next/) and the server's own
// pages' (src/web/*/*.graphql). Each operation is printed on its own (graphql's print) and keyed by
// the SHA-256 of that text, which is what a client sends as extensions.persistedQuery.sha256Hash.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, print } from 'graphql';

const sources = ['test/contract', 'test/contract/next', 'src/web/board', 'src/web/playground'];
const manifest = {};
const names = new Set();
for (const dir of sources) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort()) {
    for (const definition of parse(readFileSync(join(dir, file), 'utf8')).definitions) {
      const name = definition.name?.value;
      if (definition.kind !== 'OperationDefinition' || !name) throw new Error(`${dir}/${file}: only named operations belong in the manifest`);
      if (names.has(name)) throw new Error(`${dir}/${file}: the operation ${name} is in the manifest twice`);
      names.add(name);
      const text = print({ kind: 'Document', definitions: [definition] });
      manifest[createHash('sha256').update(text).digest('hex')] = text;
    }
  }
}
writeFileSync('client/persisted-documents.json', `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`client/persisted-documents.json: ${names.size} operations`);
