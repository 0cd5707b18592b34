import { BoardDocument, LoginDocument, type BoardQuery, type ProgressStatus } from '../client/operations';
import type { Progress } from '../client/schema';
import { startTestServer, type TestServer } from './helpers/test-server';

// The typed client frontend teams use (client/operations.ts, client/schema.ts) runs against the server as it is.
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

describe('the typed client', () => {
  it('signs in and reads a board with its documents', async () => {
    const login = await server.gql(LoginDocument, { username: 'screen', password: 'demo' });
    expect(login.errors).toBeUndefined();
    const { data, errors } = await server.gql(BoardDocument, { programme: 'P3', region: '330300' }, login.data!.login.token);
    expect(errors).toBeUndefined();
    const board: BoardQuery = data!;
    const p301 = board.programme!.indicators.find((i) => i.code === 'P3-01')!;
    const status: ProgressStatus = p301.progress.status;
    expect(p301.progress.actual).toBe(25);
    expect(status).toBe('BEHIND');
    expect(p301.progress.children.length).toBe(12);
    // The operation's result fits the schema's type of the same object.
    const completion: Progress['completion'] = p301.progress.completion;
    expect(completion).toBeCloseTo(25 / 70, 3);
  });
});
