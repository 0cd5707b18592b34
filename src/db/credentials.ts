import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';

/** A PostgreSQL role and its password. */
export interface RoleCredentials {
  user: string;
  password: string;
}

/**
 * The embedded PostgreSQL's three roles (see src/db/roles.ts): the superuser that creates roles and
 * databases, the owner of Duban's tables that runs the migrations, and the role the server runs as.
 */
export interface EmbeddedCredentials {
  superuser: RoleCredentials;
  owner: RoleCredentials;
  app: RoleCredentials;
}

export const OWNER_ROLE = 'duban_owner';
export const APP_ROLE = 'duban_app';
/** The superuser of a cluster made by this version. */
export const SUPERUSER = 'postgres';
/** What versions before the roles made: one superuser `duban`, password `duban`, that Duban ran as. */
export const LEGACY_SUPERUSER: RoleCredentials = { user: 'duban', password: 'duban' };

const password = () => randomBytes(24).toString('base64url');

function isCredentials(value: unknown): value is EmbeddedCredentials {
  const role = (r: unknown) => typeof r === 'object' && r !== null
    && typeof (r as RoleCredentials).user === 'string' && typeof (r as RoleCredentials).password === 'string';
  const v = value as EmbeddedCredentials;
  return typeof value === 'object' && value !== null && role(v.superuser) && role(v.owner) && role(v.app);
}

/** The credentials in `file`, or undefined when there is no such file. */
export function readCredentials(file: string): EmbeddedCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isCredentials(parsed)) throw new Error(`${file} is not a file of PostgreSQL credentials that Duban wrote`);
  // A copy restored with looser permissions is tightened again.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return parsed;
}

/**
 * The credentials kept in `file` (mode 0600), made once with random passwords and reused after.
 * `superuser` names the cluster's superuser when the file is made: `postgres` for a new cluster,
 * `duban` for one an older version made (its password is changed from `duban` on the next start).
 */
export function persistentCredentials(file: string, superuser: string): EmbeddedCredentials {
  const existing = readCredentials(file);
  if (existing) return existing;
  const made: EmbeddedCredentials = {
    superuser: { user: superuser, password: password() },
    owner: { user: OWNER_ROLE, password: password() },
    app: { user: APP_ROLE, password: password() },
  };
  try {
    writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process made it first: theirs is the one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readCredentials(file)!;
    throw error;
  }
  return made;
}
