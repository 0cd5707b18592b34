import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSortedSchema } from './schema';

/** Writes schema/schema.graphql; `npm run schema` runs this. */
const file = join(process.cwd(), 'schema', 'schema.graphql');
writeFileSync(file, `${printSortedSchema()}\n`);
console.log(`wrote ${file}`);
