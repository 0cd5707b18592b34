import { MeDocument, RegionDocument } from './generated/graphql';
import { codes, startTestServer } from './helpers/test-server';

describe('errors', () => {
  it('masks an unknown error in production: an id to quote, no SQL, no stack', async () => {
    const logged: string[] = [];
    const server = await startTestServer({ env: { LOG_LEVEL: 'error' }, logDestination: { write: (line: string) => { logged.push(line); } } });
    const token = await server.token('screen');
    // The event stream's own complaints about the lost database go to standard error; not this test's.
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // The database goes away under a running server.
      await server.orm.em.getConnection().execute('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
      await server.orm.close(true);
      const res = await server.gql(RegionDocument, { code: '330300' }, token);
      expect(codes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
      const { message, extensions } = res.errors![0];
      expect(extensions!.errorId).toMatch(/^[0-9a-f-]{36}$/);
      expect(message).toBe(`Internal server error (id ${extensions!.errorId})`);
      expect(JSON.stringify(res)).not.toMatch(/select|region|stack|pool|knex/i);
      // The server's JSON log has the error under the same id, with what the client was not told.
      const entry = logged.map((line) => JSON.parse(line)).find((e) => e.errorId === extensions!.errorId);
      expect(entry).toMatchObject({ level: 50, err: { message: expect.any(String) } });
    } finally {
      spy.mockRestore();
      await server.close().catch(() => undefined);
    }
  });

  it('passes request errors through with their code', async () => {
    const server = await startTestServer();
    try {
      const token = await server.token('screen');
      const syntax = await server.post(JSON.stringify({ query: '{ region(code: ' }), token);
      expect(codes(syntax.json)).toEqual(['GRAPHQL_PARSE_FAILED']);
      const unknownField = await server.post(JSON.stringify({ query: '{ region(code: "330300") { population } }' }), token);
      expect(codes(unknownField.json)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      const missingVariable = await server.gql(RegionDocument, {} as never, token);
      expect(codes(missingVariable)).toEqual(['BAD_USER_INPUT']);
      // An operationName the document does not have (a client that kept another tab's name).
      const unknownOperation = await server.post(JSON.stringify({ query: 'query Board { programme(code: "P3") { code } }', operationName: 'Login' }), token);
      expect(unknownOperation.status).toBe(400);
      expect(codes(unknownOperation.json)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
      expect(codes(await server.gql(MeDocument, {}, token))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('answers an unknown path with a JSON 404, not an HTML page', async () => {
    const server = await startTestServer();
    try {
      const origin = new URL(server.url).origin;
      for (const [method, path] of [['GET', '/nowhere'], ['POST', '/api'], ['DELETE', '/import/submissions']]) {
        const res = await fetch(`${origin}${path}`, { method });
        expect([path, res.status, res.headers.get('content-type')]).toEqual([path, 404, expect.stringMatching(/^application\/json/)]);
        expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('NOT_FOUND');
      }
    } finally {
      await server.close();
    }
  });
});
