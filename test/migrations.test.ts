import { Client } from 'pg';
import { startTestServer, type TestServer } from './helpers/test-server';

let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

describe('migrations', () => {
  it('describe exactly what the entities declare (npm run migration:create when they differ)', async () => {
    expect(await server.orm.getMigrator().checkMigrationNeeded()).toBe(false);
    expect(await server.orm.getMigrator().getPendingMigrations()).toEqual([]);
  });

  it('keep submissions append-only: a figure cannot be changed or deleted, only reviewed', async () => {
    const conn = server.orm.em.fork().getConnection();
    const [{ id, value }] = await conn.execute('select id, value from submission order by id limit 1');
    // The server's role has no such privilege; the tables' owner has, and the trigger stops it.
    await expect(conn.execute('update submission set value = value + 1 where id = ?', [id])).rejects.toThrow(/permission denied for table submission/);
    await expect(conn.execute('delete from submission where id = ?', [id])).rejects.toThrow(/permission denied for table submission/);
    const owner = new Client({ connectionString: server.database.ownerUrl });
    await owner.connect();
    try {
      await expect(owner.query('update submission set value = value + 1 where id = $1', [id])).rejects.toThrow(/append-only/);
      await expect(owner.query('delete from submission where id = $1', [id])).rejects.toThrow(/append-only/);
    } finally {
      await owner.end();
    }
    await conn.execute(`update submission set status = 'RETURNED' where id = ?`, [id]);
    const [row] = await conn.execute('select value, status from submission where id = ?', [id]);
    expect(row).toEqual({ value, status: 'RETURNED' });
  });
});
