import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { chineseNumeral, figure, percent, wholeOf } from '../src/modules/bulletin/bulletin.phrasing';
import { startTestServer, type TestServer } from './helpers/test-server';

// Done when: the bulletin (通报) of P3 at 温州市 as of 2019-06-30, downloaded as a client would,
// opened as Word opens it (the zip's word/document.xml), says the report's figures as the report
// writes them, and lists the counties in the league table's order; with the board's permissions.
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const origin = () => server.url.replace(/\/graphql$/, '');

function download(query: string, token?: string): Promise<Response> {
  return fetch(`${origin()}/export/bulletin.docx?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };

/** The document's paragraphs as text (a table cell's paragraph is one too), from word/document.xml. */
async function paragraphs(res: Response): Promise<string[]> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  return documentText(Buffer.from(await res.arrayBuffer()));
}

async function documentText(docx: Buffer): Promise<string[]> {
  const zip = await JSZip.loadAsync(docx);
  const xml = await zip.file('word/document.xml')!.async('string');
  return xml.split('</w:p>').map((p) => [...p.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)]
    .map((m) => m[1].replace(/&(\w+);/g, (_, e: string) => ENTITIES[e] ?? `&${e};`)).join('')).filter(Boolean);
}

const PROGRESS = `query($code: String!) { indicator(code: $code) { name unit progress(region: "330300", asOf: "2019-06-30") { actual completion status target { value deadline } } } }`;
const RANKING = `{ ranking(programme: "P3", region: "330300", by: COMPLETION, asOf: "2019-06-30") { rows { rank region { name } } } }`;

describe('GET /export/bulletin.docx', () => {
  it('writes P3 at 温州市 as of 2019-06-30 with the report\'s figures, and the counties in the ranking\'s order', async () => {
    const admin = await server.token('admin');
    // The figures the report gives, as the API reads them for the demo.
    const p301 = (await server.ok(PROGRESS, { code: 'P3-01' }, admin)).indicator;
    const p303 = (await server.ok(PROGRESS, { code: 'P3-03' }, admin)).indicator;
    expect([p301.progress.target.value, p301.progress.actual, Math.round(p301.progress.completion * 100)]).toEqual([70, 25, 36]);
    expect([p303.progress.target.value, p303.progress.actual, Math.round(p303.progress.completion * 1000) / 10]).toEqual([11680, 7430, 63.6]);
    const ranking: string[] = (await server.ok(RANKING, {}, admin)).ranking.rows.map((r: { region: { name: string } }) => r.region.name);
    expect(ranking).toHaveLength(12);

    const text = await paragraphs(await download('programme=P3&region=330300&asOf=2019-06-30', admin));
    expect(text[0]).toBe('温州市幸福养老“彩”夕阳工程推进情况通报');
    expect(text[1]).toBe('（截至2019年6月30日）');
    // The opening counts add up: the indicators with a target judged, the others (figures without one) apart.
    const [, total, judged, ...groups] = /共(\d+)项指标，其中有目标任务的(\d+)项：已完成(\d+)项，按进度推进(\d+)项，滞后(\d+)项/.exec(text[2])!.map(Number);
    expect(total).toBe(20);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(judged);
    expect(judged).toBeLessThan(total);
    const sentence = (name: string) => text.find((p) => p.startsWith(`全市${name}`))!;
    expect(sentence(p301.name)).toContain('目标任务70家，已完成25家，完成目标值的36%，滞后于序时进度');
    expect(sentence(p301.name)).toContain('须于2019年10月31日前完成');
    expect(sentence(p303.name)).toContain('目标任务11,680张，已完成7,430张，完成目标值的63.6%');
    for (const figure of ['70', '25', '36%', '11,680', '7,430', '63.6%']) expect(text.join('\n')).toContain(figure);

    // Each indicator in its group: 已完成, 按进度推进, 滞后 (P3-01 among the behind).
    const behind = text.findIndex((p) => /^（.）滞后（\d+项）$/.test(p));
    expect(behind).toBeGreaterThan(0);
    expect(text.indexOf(sentence(p301.name))).toBeGreaterThan(behind);

    // The league table: its rows' regions, in the ranking's order.
    const start = text.findIndex((p) => p.endsWith('各地推进情况排名'));
    const end = text.findIndex((p, i) => i > start && p.endsWith('督办单'));
    expect(text.slice(start, end).filter((p) => ranking.includes(p))).toEqual(ranking);

    // The notices by colour, and the late reports.
    expect(text.some((p) => /^目前未办结督办单\d+件，其中红色\d+件/.test(p))).toBe(true);
    expect(text.some((p) => p.endsWith('未按期报送'))).toBe(true);
  });

  it('names its Chinese fonts, so that Word and WPS render it', async () => {
    const res = await download('programme=P3&region=330300&asOf=2019-06-30', await server.token('yanglao'));
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="bulletin-P3-330300-2019-06-30.docx"');
    const zip = await JSZip.loadAsync(Buffer.from(await res.arrayBuffer()));
    const xml = await zip.file('word/document.xml')!.async('string');
    for (const eastAsia of ['仿宋_GB2312', '黑体', '楷体_GB2312', '宋体']) expect(xml).toContain(`w:eastAsia="${eastAsia}"`);
    expect(xml).toContain('w:lang w:val="en-US" w:eastAsia="zh-CN"');
    // Every run that has text names its East Asian font.
    const runs = xml.split('<w:r>').slice(1).filter((r) => r.includes('<w:t'));
    expect(runs.length).toBeGreaterThan(100);
    expect(runs.filter((r) => !/w:rFonts [^>]*w:eastAsia="/.test(r))).toEqual([]);
  });

  it('quotes a leader\'s instruction (批示) of the period', async () => {
    const leader = await server.token('leader');
    await server.ok(`mutation($input: AddCommentInput!) { addComment(input: $input) { id } }`,
      { input: { indicator: 'P3-01', region: '330300', text: '加快推进中心建设，确保10月底前全部建成。' } }, leader);
    const text = await paragraphs(await download('programme=P3&region=330300&asOf=2019-06-30', leader));
    expect(text.find((p) => p.includes('加快推进中心建设'))).toBe('2019年6月30日，leader对温州市“乡镇（街道）居家养老服务中心建成投用”批示：“加快推进中心建设，确保10月底前全部建成。”');
  });

  it('writes every programme without `programme`', async () => {
    const text = await paragraphs(await download('region=330300&asOf=2019-06-30', await server.token('screen')));
    expect(text[0]).toBe('温州市2019年重点工作推进情况通报');
    expect(text.filter((p) => /^[一二三四五六七]、.+（牵头单位：.+）$/.test(p))).toHaveLength(6);
  });

  it('gives a screen token only its boards\' programmes', async () => {
    const made = await server.ok(`mutation($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token } }`,
      { input: { name: '会商室', boards: [{ programme: 'P3', region: '330300' }] } }, await server.token('admin'));
    const token: string = made.createScreenToken.token;
    const text = await paragraphs(await download('region=330300&asOf=2019-06-30', token));
    expect(text.filter((p) => /^[一二三四五六七]、.+（牵头单位：.+）$/.test(p))).toEqual(['一、幸福养老“彩”夕阳工程推进情况（牵头单位：养老服务处）']);
    expect((await download('programme=P1&region=330300&asOf=2019-06-30', token)).status).toBe(403);
  });

  it('gives a reporter its own region, and refuses what the board refuses', async () => {
    const lucheng = await server.token('lucheng');
    const own = await paragraphs(await download('programme=P3&region=330302&asOf=2019-06-30', lucheng));
    expect(own[0]).toBe('鹿城区幸福养老“彩”夕阳工程推进情况通报');

    const outside = await download('programme=P3&region=330300&asOf=2019-06-30', lucheng);
    expect(outside.status).toBe(403);
    expect(await outside.json()).toMatchObject({ status: 'ERROR', code: 'FORBIDDEN' });

    const anonymous = await download('programme=P3&region=330300');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await download('programme=P3&region=330300', 'not-a-token')).status).toBe(401);
  });

  it('refuses bad parameters with a typed error', async () => {
    const admin = await server.token('admin');
    for (const [query, field] of [
      ['programme=P3&region=330300&asOf=2019-02-30', 'asOf'],
      ['programme=P3&region=330300&asOf=yesterday', 'asOf'],
      ['programme=P3%3Bdrop&region=330300', 'programme'],
      ['programme=P3&programme=P4&region=330300', 'programme'],
      ['programme=P3', 'region'],
    ]) {
      const res = await download(query, admin);
      expect([query, res.status]).toEqual([query, 400]);
      expect(await res.json()).toMatchObject({ status: 'ERROR', code: 'BAD_USER_INPUT', field });
    }
    const unknown = await download('programme=P9&region=330300', admin);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('numbers as the report writes them', () => {
  it('separates thousands, and gives a completion no finer than one unit of its target', () => {
    expect([figure(11680, 0), figure(7430, 0), figure(7.2, 2), figure(37486, 0)]).toEqual(['11,680', '7,430', '7.2', '37,486']);
    expect([percent(25 / 70, 70), percent(7430 / 11680, 11680), percent(126 / 1121, 1121), percent(1.46, 130), percent(0.5, 1000)])
      .toEqual(['36%', '63.6%', '11.2%', '146%', '50%']);
    expect([chineseNumeral(1), chineseNumeral(10), chineseNumeral(12), chineseNumeral(21)]).toEqual(['一', '十', '十二', '二十一']);
    expect([wholeOf({ name: '温州市', level: 'CITY' }), wholeOf({ name: '鹿城区', level: 'COUNTY' }), wholeOf({ name: '乐清市', level: 'COUNTY' }), wholeOf({ name: '五马街道', level: 'TOWNSHIP' })])
      .toEqual(['全市', '全区', '全市', '全街道']);
  });
});

describe('npm run bulletin', () => {
  const CLI = join(__dirname, '..', 'dist', 'src', 'bulletin.cli.js');
  const bulletin = (args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args],
    { env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: server.config.databaseUrl! } })
    .then(({ stdout }) => ({ code: 0, stdout, stderr: '' }), (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }));

  it('writes the same bulletin to a file as the user named, and refuses what that user may not read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulletin-'));
    try {
      const out = join(dir, 'p3.docx');
      const written = await bulletin(['--user', 'yanglao', '--programme', 'P3', '--region', '330300', '--as-of', '2019-06-30', '--out', out]);
      expect(written).toMatchObject({ code: 0, stdout: expect.stringContaining(`wrote ${out}: P3 at 温州市 (330300) as of 2019-06-30`) });
      const text = (await documentText(readFileSync(out))).join('\n');
      for (const figure of ['目标任务70家，已完成25家，完成目标值的36%', '目标任务11,680张，已完成7,430张，完成目标值的63.6%']) expect(text).toContain(figure);

      const refused = await bulletin(['--user', 'lucheng', '--programme', 'P3', '--region', '330300', '--as-of', '2019-06-30', '--out', join(dir, 'no.docx')]);
      expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('FORBIDDEN') });
      expect((await bulletin(['--user', 'nobody', '--region', '330300'])).code).toBe(2);
      expect((await bulletin(['--user', 'yanglao', '--region', '330300', '--as-of', '2019-13-01'])).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
