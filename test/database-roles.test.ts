import { Client } from 'pg';
import { startTestServer, type TestServer } from './helpers/test-server';
import { localKey } from '../src/common/node';

/**
 * The role the server runs as (the embedded cluster's application role, as `npm start` uses it)
 * cannot switch the append-only rules off: it owns nothing, is no superuser, and has no privilege
 * past what the server does. The same statements from the tables' owner show what it may do.
 */
let server: TestServer;
let app: Client;
beforeAll(async () => {
  server = await startTestServer();
  app = new Client({ connectionString: server.config.databaseUrl });
  await app.connect();
});
afterAll(async () => {
  await app.end();
  await server.close();
});

const TRIGGERS: Record<string, string> = { audit_entry: 'audit_entry_no_update', submission: 'submission_append_only' };

async function enabledTriggers(client: Client, table: string): Promise<string[]> {
  const { rows } = await client.query<{ tgname: string }>(
    `select tgname from pg_trigger where tgrelid = $1::regclass and not tgisinternal and tgenabled <> 'D' order by tgname`, [table]);
  return rows.map((r) => r.tgname);
}

describe('the application role', () => {
  it('is no superuser, makes no roles or databases, has no replication or RLS bypass, and owns nothing', async () => {
    const { rows: [role] } = await app.query(`
      select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls from pg_roles where rolname = current_user`);
    expect(role).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false });
    const { rows: [owned] } = await app.query(`
      select (select count(*) from pg_class where relowner = r.oid)::int
           + (select count(*) from pg_proc where proowner = r.oid)::int
           + (select count(*) from pg_type where typowner = r.oid)::int
           + (select count(*) from pg_database where datdba = r.oid)::int as n
        from pg_roles r where r.rolname = current_user`);
    expect(owned.n).toBe(0);
    // Not a member of the owner either, so it cannot become it.
    const { rows: [member] } = await app.query(`select pg_has_role(current_user, $1, 'MEMBER') as member`, [process.env.DUBAN_TEST_OWNER_ROLE]);
    expect(member.member).toBe(false);
    await expect(app.query(`set role "${process.env.DUBAN_TEST_OWNER_ROLE}"`)).rejects.toThrow(/permission denied to set role/);
  });

  describe.each(Object.keys(TRIGGERS))('on %s', (table) => {
    it.each([
      ['disable its user triggers', `alter table ${table} disable trigger user`, /must be owner of table/],
      ['disable every trigger', `alter table ${table} disable trigger all`, /must be owner of table|permission denied/],
      ['drop the trigger', `drop trigger ${TRIGGERS[table]} on ${table}`, /must be owner of (table|relation)/],
      ['take the table over', `alter table ${table} owner to current_user`, /must be owner of table/],
      ['replace the trigger function', `create or replace function ${table === 'submission' ? 'submission_append_only' : 'audit_entry_append_only'}() returns trigger language plpgsql as $$ begin return new; end $$`, /must be owner of function|permission denied/],
      ['set session_replication_role to replica', 'set session_replication_role = replica', /permission denied to set parameter "session_replication_role"/],
      ['truncate it', `truncate ${table}`, /permission denied for table/],
      ['delete from it', `delete from ${table}`, /permission denied for table/],
      ['create a rule on it', `create rule forge as on insert to ${table} do instead nothing`, /must be owner of (table|relation)/],
    ])('cannot %s', async (_what, sql, refusal) => {
      const rows = await server.count(table);
      const triggers = await enabledTriggers(app, table);
      expect(triggers).toContain(TRIGGERS[table]);
      await expect(app.query(sql)).rejects.toThrow(refusal);
      // Nothing moved: the rows are there, the triggers on, and a change is still refused.
      expect(await server.count(table)).toBe(rows);
      expect(await enabledTriggers(app, table)).toEqual(triggers);
      const { rows: [{ session_replication_role: mode }] } = await app.query('show session_replication_role');
      expect(mode).toBe('origin');
    });
  });

  it('still does what the server does: writes entries and figures, and reviews a figure (its status columns only)', async () => {
    const entries = await server.count('audit_entry');
    const lucheng = await server.token('lucheng');
    const submitted = await server.ok('mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }',
      { input: { indicator: 'P3-02', region: '330302', asOf: '2019-06-21', value: 41 } }, lucheng);
    const id = submitted.submitFigure.submission.id;
    const reviewed = await server.ok('mutation($input: ReviewSubmissionInput!) { reviewSubmission(input: $input) { status } }',
      { input: { submission: id, decision: 'APPROVED' } }, await server.token('yanglao'));
    expect(reviewed.reviewSubmission.status).toBe('APPROVED');
    expect(await server.count('audit_entry')).toBe(entries + 2);
    await expect(app.query('update submission set note = $1 where id = $2', ['forged', localKey('Submission', id)])).rejects.toThrow(/permission denied for table submission/);
  });
});

describe('the tables\' owner', () => {
  it('is no superuser either, and the triggers refuse its changes (it could switch them off: the server never runs as it)', async () => {
    const owner = new Client({ connectionString: server.database.ownerUrl });
    await owner.connect();
    try {
      const { rows: [role] } = await owner.query('select rolsuper, rolcreaterole, rolbypassrls from pg_roles where rolname = current_user');
      expect(role).toEqual({ rolsuper: false, rolcreaterole: false, rolbypassrls: false });
      await expect(owner.query('set session_replication_role = replica')).rejects.toThrow(/permission denied to set parameter/);
      await expect(owner.query('truncate audit_entry')).rejects.toThrow(/audit entries cannot be changed or deleted/);
      await expect(owner.query('delete from submission')).rejects.toThrow(/append-only/);
    } finally {
      await owner.end();
    }
  });
});
