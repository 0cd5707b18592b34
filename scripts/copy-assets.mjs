// After tsc: what the compiled server reads beside its modules. The demo's data, the pages' own
// files (HTML, CSS, browser scripts), the contract's operations, which the playground shows as tabs, and the
// manifest of trusted documents.
import { cpSync, existsSync } from 'node:fs';

cpSync('src/modules/demo/data', 'dist/src/modules/demo/data', { recursive: true });
cpSync('src/web', 'dist/src/web', { recursive: true, filter: (path) => !path.endsWith('.ts') });
cpSync('test/contract', 'dist/test/contract', { recursive: true });
if (existsSync('client/persisted-documents.json')) cpSync('client/persisted-documents.json', 'dist/client/persisted-documents.json');
