// After tsc: what the compiled server reads beside its modules. The demo's data, the pages' own
// files (HTML, CSS, browser scripts) and the contract's operations, which the playground shows as tabs.
import { cpSync } from 'node:fs';

cpSync('src/modules/demo/data', 'dist/src/modules/demo/data', { recursive: true });
cpSync('src/web', 'dist/src/web', { recursive: true, filter: (path) => !path.endsWith('.ts') });
cpSync('test/contract', 'dist/test/contract', { recursive: true });
