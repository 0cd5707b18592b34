import { Client } from 'pg';
import type { RoleCredentials } from './credentials';

/**
 * Who may do what in Duban's database.
 *
 * - The **owner** owns every table, sequence, type and function, and runs the migrations. It is not
 *   a superuser. Being the owner, it could disable the append-only triggers; the server does not
 *   run as it.
 * - The **application role** is what the server (and the command line) runs as: it owns nothing,
 *   may read and write the tables, and on the append-only tables (below) may only insert and read,
 *   and update the columns a review changes. It cannot `ALTER TABLE … DISABLE TRIGGER` (not the
 *   owner), `TRUNCATE` (no privilege), or set `session_replication_role` (a superuser's setting),
 *   so the audit trail and the submissions are append-only for everything Duban runs.
 * - On the embedded PostgreSQL a **superuser** with a password of its own creates both roles and
 *   the database; on an external one, whoever provisions the database does (see the README).
 *
 * The grants are made again after every migration, by the owner, so that a table a migration adds
 * is covered; an append-only table a migration adds is listed here.
 */
export const APPEND_ONLY: Record<string, string[]> = {
  audit_entry: [],
  // A review sets these; the trigger refuses any other change, and any delete.
  submission: ['status', 'reviewed_by_id', 'reviewed_at', 'review_note'],
};

/** Tables the application role only reads: which migrations ran (a server with pending ones says so). */
const READ_ONLY = ['mikro_orm_migrations'];

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Role attributes of a role that is not a superuser and can make no other role. */
const PLAIN = 'login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit';

/** Creates the role, or brings an existing one back to these attributes and this password. */
export async function ensureLoginRole(superuser: Client, role: RoleCredentials): Promise<void> {
  const { rowCount } = await superuser.query('select 1 from pg_roles where rolname = $1', [role.user]);
  const verb = rowCount ? 'alter' : 'create';
  await superuser.query(`${verb} role ${quoteIdent(role.user)} with ${PLAIN} password ${quoteLiteral(role.password)}`);
}

/**
 * Makes `owner` the owner of the database `database` and of everything in its `public` schema
 * that another role owns (a database made by an older version, where all of it was the
 * superuser's). Run as a superuser; a no-op once done.
 */
export async function adoptDatabase(superuserUrl: string, database: string, owner: string): Promise<void> {
  const url = new URL(superuserUrl);
  url.pathname = `/${database}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`alter database ${quoteIdent(database)} owner to ${quoteIdent(owner)}`);
    const { rows } = await client.query<{ statement: string }>(`
      select format('alter %s %s owner to %I',
               case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' else 'table' end,
               c.oid::regclass, $1::text) as statement
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S')
         and pg_get_userbyid(c.relowner) <> $1
         -- a sequence owned by a column follows its table
         and not (c.relkind = 'S' and exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')))
      union all
      select format('alter type %s owner to %I', t.oid::regtype, $1::text)
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
       where n.nspname = 'public' and t.typtype in ('e', 'd', 'c') and pg_get_userbyid(t.typowner) <> $1
         and not exists (select 1 from pg_class c where c.oid = t.typrelid and c.relkind <> 'c')
      union all
      select format('alter function %s owner to %I', p.oid::regprocedure, $1::text)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and pg_get_userbyid(p.proowner) <> $1`, [owner]);
    for (const { statement } of rows) await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Grants `app` what the server needs, and only that (see above). Run by the owner after the
 * migrations; the same every time, so a start repairs what was changed by hand.
 */
export async function grantAppPrivileges(owner: Client, app: string): Promise<void> {
  const role = quoteIdent(app);
  const { rows: [{ current_user: me }] } = await owner.query<{ current_user: string }>('select current_user');
  // The server's role must not be the owner: an owner can switch the triggers off.
  if (me === app) return;
  const { rows } = await owner.query<{ relname: string }>(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p')`);
  const tables = new Set(rows.map((r) => r.relname));
  const { rows: [{ owns_schema: ownsSchema }] } = await owner.query<{ owns_schema: boolean }>(
    `select pg_has_role(current_user, nspowner, 'USAGE') as owns_schema from pg_namespace where nspname = 'public'`);
  const statements = [
    // Nobody but the database's owner creates objects in its schema (PostgreSQL 15's default, made sure of).
    ...(ownsSchema ? ['revoke create on schema public from public', `grant usage on schema public to ${role}`] : []),
    `grant select, insert, update, delete on all tables in schema public to ${role}`,
    `grant usage, select on all sequences in schema public to ${role}`,
    // What a migration adds later is covered before the next grant runs, too.
    `alter default privileges in schema public grant select, insert, update, delete on tables to ${role}`,
    `alter default privileges in schema public grant usage, select on sequences to ${role}`,
  ];
  for (const table of READ_ONLY.filter((t) => tables.has(t))) {
    statements.push(`revoke all on ${quoteIdent(table)} from ${role}`, `grant select on ${quoteIdent(table)} to ${role}`);
  }
  for (const [table, columns] of Object.entries(APPEND_ONLY)) {
    if (!tables.has(table)) continue;
    // Revoking the table's UPDATE revokes its column grants too; the review's columns come back after.
    statements.push(`revoke update, delete, truncate, references, trigger on ${quoteIdent(table)} from ${role}`);
    if (columns.length) statements.push(`grant update (${columns.map(quoteIdent).join(', ')}) on ${quoteIdent(table)} to ${role}`);
  }
  for (const statement of statements) await owner.query(statement);
}

/** The role a URL connects as, asked of the server (the URL may leave it to PGUSER). */
export async function roleOf(url: string): Promise<{ user: string; superuser: boolean; owner: boolean }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: [row] } = await client.query<{ user: string; superuser: boolean; owner: boolean }>(`
      select current_user as user, r.rolsuper as superuser,
             pg_has_role(current_user, d.datdba, 'USAGE') as owner
        from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()`);
    return row;
  } finally {
    await client.end();
  }
}
