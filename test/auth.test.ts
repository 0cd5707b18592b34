import jwt from 'jsonwebtoken';
import { LoginDocument, MeDocument } from './generated/graphql';
import { codes, startTestServer, type TestServer } from './helpers/test-server';

let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

describe('login (contract: login.graphql)', () => {
  it.each([
    ['admin', 'ADMIN', null],
    ['yanglao', 'DEPARTMENT', null],
    ['lucheng', 'REPORTER', { code: '330302', name: '鹿城区' }],
    ['wuma', 'REPORTER', { code: '330302006', name: '五马街道' }],
    ['screen', 'VIEWER', null],
  ])('signs in %s as %s with its region scope', async (username, role, region) => {
    const { data, errors } = await server.gql(LoginDocument, { username, password: 'demo' });
    expect(errors).toBeUndefined();
    expect(data!.login.user).toEqual({ username, role, region });
    const me = await server.gql(MeDocument, {}, data!.login.token);
    expect(me.data!.me).toMatchObject({ username, role });
  });

  it('gives the same UNAUTHENTICATED answer for a wrong password and an unknown user', async () => {
    const wrong = await server.gql(LoginDocument, { username: 'admin', password: 'nope' });
    const unknown = await server.gql(LoginDocument, { username: 'nobody', password: 'demo' });
    expect(codes(wrong)).toEqual(['UNAUTHENTICATED']);
    expect(codes(unknown)).toEqual(['UNAUTHENTICATED']);
    expect(wrong.errors![0].message).toBe(unknown.errors![0].message);
    expect(wrong.data).toBeNull();
  });

  it('tells the department of a DEPARTMENT user', async () => {
    const me = await server.gql(MeDocument, {}, await server.token('yanglao'));
    expect(me.data!.me.department).toEqual({ name: '养老服务处' });
  });
});

describe('bearer tokens', () => {
  it('refuses an expired token, saying so', async () => {
    const expired = jwt.sign({}, server.config.jwtSecret, { subject: '1', issuer: 'duban', expiresIn: -10 });
    const res = await server.gql(MeDocument, {}, expired);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.errors![0].message).toMatch(/expired/);
  });

  it('refuses a token signed with another secret', async () => {
    const forged = jwt.sign({}, 'another-secret-another-secret-another', { subject: '1', issuer: 'duban', expiresIn: 60 });
    expect(codes(await server.gql(MeDocument, {}, forged))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a token of a user that does not exist', async () => {
    const ghost = jwt.sign({}, server.config.jwtSecret, { subject: '99999', issuer: 'duban', expiresIn: 60 });
    expect(codes(await server.gql(MeDocument, {}, ghost))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses garbage in the Authorization header', async () => {
    expect(codes(await server.gql(MeDocument, {}, 'not-a-jwt'))).toEqual(['UNAUTHENTICATED']);
  });
});
