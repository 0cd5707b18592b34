import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261128121652 } from './Migration20261128121652';
import { Migration20261128124720 } from './Migration20261128124720';
import { Migration20261128131544 } from './Migration20261128131544';
import { Migration20261128132313 } from './Migration20261128132313';
import { Migration20261128145305 } from './Migration20261128145305';
import { Migration20261128150041 } from './Migration20261128150041';
import { Migration20261201071912 } from './Migration20261201071912';
import { Migration20261201072657 } from './Migration20261201072657';
import { Migration20261201074258 } from './Migration20261201074258';
import { Migration20261201082345 } from './Migration20261201082345';
import { Migration20261201114153 } from './Migration20261201114153';
import { Migration20261201114224 } from './Migration20261201114224';
import { Migration20261201115357 } from './Migration20261201115357';

/** Every migration, in order. `npm run migration:create` writes a new file; add it here. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261128121652', class: Migration20261128121652 },
  { name: 'Migration20261128124720', class: Migration20261128124720 },
  { name: 'Migration20261128131544', class: Migration20261128131544 },
  { name: 'Migration20261128132313', class: Migration20261128132313 },
  { name: 'Migration20261128145305', class: Migration20261128145305 },
  { name: 'Migration20261128150041', class: Migration20261128150041 },
  { name: 'Migration20261201071912', class: Migration20261201071912 },
  { name: 'Migration20261201072657', class: Migration20261201072657 },
  { name: 'Migration20261201074258', class: Migration20261201074258 },
  { name: 'Migration20261201082345', class: Migration20261201082345 },
  { name: 'Migration20261201114153', class: Migration20261201114153 },
  { name: 'Migration20261201114224', class: Migration20261201114224 },
  { name: 'Migration20261201115357', class: Migration20261201115357 },
];
