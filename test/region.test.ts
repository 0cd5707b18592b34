import { RegionDocument, type RegionQuery } from './generated/graphql';
import { codes, startTestServer, type GraphQLResponse, type TestServer } from './helpers/test-server';

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = await server.token('screen');
});
afterAll(() => server.close());

describe('region (contract: region.graphql)', () => {
  it('shows 温州市 with its parent and its 12 counties', async () => {
    const { data, errors } = await server.gql(RegionDocument, { code: '330300' }, token);
    expect(errors).toBeUndefined();
    expect(data!.region).toMatchObject({ code: '330300', name: '温州市', level: 'CITY', parent: { code: '330000', name: '浙江省', level: 'PROVINCE' } });
    expect(data!.region.children.totalCount).toBe(12);
    expect(data!.region.children.nodes.map((n) => n.name)).toEqual(
      ['鹿城区', '龙湾区', '瓯海区', '洞头区', '永嘉县', '平阳县', '苍南县', '文成县', '泰顺县', '瑞安市', '乐清市', '龙港市']);
    expect(data!.region.children.nodes.every((n) => n.level === 'COUNTY')).toBe(true);
    expect(data!.region.children.pageInfo.hasNextPage).toBe(false);
  });

  it('pages through children with first and after, each child once', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: GraphQLResponse<RegionQuery> = await server.gql(RegionDocument, { code: '330300', first: 5, after }, token);
      const children = res.data!.region.children;
      expect(children.totalCount).toBe(12);
      seen.push(...children.nodes.map((n) => n.code));
      after = children.pageInfo.hasNextPage ? children.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
  });

  it('reaches all 191 townships through the counties, with their official codes', async () => {
    const { data } = await server.gql(RegionDocument, { code: '330300' }, token);
    const townships: string[] = [];
    for (const county of data!.region.children.nodes) {
      const res = await server.gql(RegionDocument, { code: county.code, first: 500 }, token);
      const children = res.data!.region.children;
      expect(children.nodes.every((t) => t.level === 'TOWNSHIP' && t.code.startsWith(county.code))).toBe(true);
      townships.push(...children.nodes.map((t) => t.code));
    }
    expect(townships).toHaveLength(191);
    expect(townships).toContain('330302006');
    const wuma = await server.gql(RegionDocument, { code: '330302006' }, token);
    expect(wuma.data!.region).toMatchObject({ name: '五马街道', level: 'TOWNSHIP', parent: { code: '330302', name: '鹿城区' } });
    expect(wuma.data!.region.children.totalCount).toBe(0);
  });

  it('answers NOT_FOUND for an unknown code', async () => {
    const res = await server.gql(RegionDocument, { code: '999999' }, token);
    expect(codes(res)).toEqual(['NOT_FOUND']);
    expect(res.data).toBeNull();
  });

  it('refuses a cursor it did not give', async () => {
    const res = await server.gql(RegionDocument, { code: '330300', after: 'bm9wZQ' }, token);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers UNAUTHENTICATED without a token', async () => {
    const res = await server.gql(RegionDocument, { code: '330300' });
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
  });
});
