import {
  AlignmentType, Document, Footer, LineRuleType, Packer, PageNumber, Paragraph, Table, TableCell, TableRow, TextRun,
  VerticalAlignTable, WidthType, type IFontAttributesProperties,
} from 'docx';
import type { Bulletin, BulletinIndicator, BulletinProgramme } from './bulletin.query';
import {
  chineseDate, chineseNumeral, COLOUR_NAMES, GROUP_TITLES, indicatorSentence, NOTICE_STATES, percent, statusGroup, wholeOf,
  type StatusGroup,
} from './bulletin.phrasing';

/*
 * The bulletin as a bureau sends it (党政机关公文格式, GB/T 9704): A4, the title in 宋体 bold 二号,
 * headings in 黑体 and 楷体_GB2312, the text in 仿宋_GB2312 三号 at 28 pt a line. Every run names
 * its East Asian font and says its text is zh-CN, so Word and WPS render it with the named font
 * where it is installed and fall back to the system's Chinese font (宋体/SimSun) where it is not;
 * Latin letters and digits are in Times New Roman.
 */
const LATIN = 'Times New Roman';
const font = (eastAsia: string): IFontAttributesProperties => ({ ascii: LATIN, hAnsi: LATIN, cs: LATIN, eastAsia, hint: 'eastAsia' });
const FONTS = { title: font('宋体'), heading: font('黑体'), subheading: font('楷体_GB2312'), body: font('仿宋_GB2312') };
const LANGUAGE = { value: 'en-US', eastAsia: 'zh-CN' };
/** Half-points: 二号 22 pt, 三号 16 pt, 小四 12 pt. */
const SIZE = { title: 44, body: 32, table: 24 };
const LINE = { line: 560, lineRule: LineRuleType.EXACT };
/** A4 with the standard's margins: 37 mm top, 35 mm bottom, 28 mm left, 26 mm right, in twips. */
const PAGE = { size: { width: 11906, height: 16838 }, margin: { top: 2098, bottom: 1984, left: 1588, right: 1474 } };
const TEXT_WIDTH = PAGE.size.width - PAGE.margin.left - PAGE.margin.right;

type Style = keyof typeof FONTS;

function run(text: string, style: Style = 'body', options: { bold?: boolean; size?: number; color?: string } = {}): TextRun {
  return new TextRun({ text, font: FONTS[style], language: LANGUAGE, size: options.size ?? SIZE.body, bold: options.bold, color: options.color });
}

/** A paragraph of the text: indented two characters, 28 pt a line. */
function para(text: string | TextRun[], style: Style = 'body'): Paragraph {
  return new Paragraph({ children: typeof text === 'string' ? [run(text, style)] : text, indent: { firstLine: 640 }, spacing: LINE });
}

function heading(text: string, level: 1 | 2): Paragraph {
  return para([run(text, level === 1 ? 'heading' : 'subheading')], level === 1 ? 'heading' : 'subheading');
}

function cell(text: string, width: number, options: { bold?: boolean; align?: 'center' | 'left'; color?: string } = {}): TableCell {
  return new TableCell({
    width: { size: width, type: WidthType.DXA },
    verticalAlign: VerticalAlignTable.CENTER,
    children: [new Paragraph({
      alignment: options.align === 'left' ? AlignmentType.LEFT : AlignmentType.CENTER,
      children: [run(text, options.bold ? 'heading' : 'body', { size: SIZE.table, color: options.color })],
    })],
  });
}

/** A table with a header row; widths are shares of the text's width. */
function table(header: string[], rows: string[][], shares: number[], leftColumns: number[] = []): Table {
  const total = shares.reduce((a, b) => a + b, 0);
  const widths = shares.map((s) => Math.floor((TEXT_WIDTH * s) / total));
  return new Table({
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: widths,
    rows: [
      new TableRow({ tableHeader: true, children: header.map((h, i) => cell(h, widths[i], { bold: true })) }),
      ...rows.map((r) => new TableRow({ cantSplit: true, children: r.map((t, i) => cell(t, widths[i], { align: leftColumns.includes(i) ? 'left' : 'center' })) })),
    ],
  });
}

const GROUP_ORDER: StatusGroup[] = ['DONE', 'ON_SCHEDULE', 'BEHIND', 'NO_TARGET'];
const COLOUR_ORDER = ['RED', 'YELLOW', 'BLUE'];

function counts(indicators: BulletinIndicator[]): Record<StatusGroup, number> {
  const by: Record<StatusGroup, number> = { DONE: 0, ON_SCHEDULE: 0, BEHIND: 0, NO_TARGET: 0 };
  for (const i of indicators) by[statusGroup(i.progress.status)] += 1;
  return by;
}

/** One programme: its indicators by group, the league table, the notices, the instructions, the late reports. */
function programmeSection(p: BulletinProgramme, index: number, single: boolean, asOf: string): (Paragraph | Table)[] {
  const out: (Paragraph | Table)[] = [];
  const { region } = p;
  const by = counts(p.programme.indicators);
  const judged = by.DONE + by.ON_SCHEDULE + by.BEHIND;
  let sub = 0;
  const subheading = (text: string) => heading(`（${chineseNumeral((sub += 1))}）${text}`, 2);

  out.push(heading(`${chineseNumeral(index)}、${p.programme.name}${single ? '推进情况' : ''}（牵头单位：${p.programme.lead.name}）`, 1));
  // One programme: the opening paragraph has said it already.
  if (!single) out.push(para(`${p.programme.code}共${p.programme.indicators.length}项指标，其中有目标任务的${judged}项：已完成${by.DONE}项，按进度推进${by.ON_SCHEDULE}项，滞后${by.BEHIND}项。`));
  for (const group of GROUP_ORDER) {
    const indicators = p.programme.indicators.filter((i) => statusGroup(i.progress.status) === group);
    if (indicators.length === 0) continue;
    out.push(subheading(`${GROUP_TITLES[group]}（${indicators.length}项）`));
    for (const i of indicators) out.push(para(indicatorSentence(i, region)));
  }

  out.push(subheading('各地推进情况排名'));
  const ranked = p.ranking.rows;
  if (ranked.length === 0) {
    out.push(para(`${region.name}无下级地区排名。`));
  } else {
    out.push(para(`按各地有目标任务且已报送指标的平均完成率排名（单项完成率最高计100%），截至${chineseDate(asOf)}：`));
    out.push(table(['名次', '地区', '平均完成率', '已报送/考核指标'],
      ranked.map((r) => [r.rank == null ? '—' : String(r.rank), r.region.name, r.value == null ? '未报送' : percent(r.value), `${r.indicatorsReported}/${r.indicatorsJudged}`]),
      [1, 2, 2, 2]));
  }

  out.push(subheading('督办单'));
  if (p.notices.length === 0) {
    out.push(para('目前无未办结的督办单。'));
  } else {
    const tally = COLOUR_ORDER.map((c) => [c, p.notices.filter((n) => n.colour === c).length] as const).filter(([, n]) => n > 0);
    out.push(para(`目前未办结督办单${p.notices.length}件，其中${tally.map(([c, n]) => `${COLOUR_NAMES[c]}${n}件`).join('、')}：`));
    const sorted = [...p.notices].sort((a, b) => COLOUR_ORDER.indexOf(a.colour) - COLOUR_ORDER.indexOf(b.colour)
      || a.indicator.code.localeCompare(b.indicator.code) || a.region.code.localeCompare(b.region.code));
    out.push(table(['等级', '地区', '指标', '督办事由', '状态'],
      sorted.map((n) => [COLOUR_NAMES[n.colour] ?? n.colour, n.region.name, `${n.indicator.code} ${n.indicator.name}`, n.reason, NOTICE_STATES[n.state] ?? n.state]),
      [1, 1.4, 3, 3.2, 1.4], [2, 3]));
  }

  out.push(subheading('领导批示'));
  if (p.instructions.length === 0) out.push(para('本期无领导批示。'));
  for (const c of p.instructions) {
    out.push(para(`${chineseDate(c.on)}，${c.author}对${c.region}“${c.indicatorName}”批示：“${c.text}”`));
  }

  out.push(subheading('未按期报送'));
  if (p.lateReports.length === 0) {
    out.push(para('各地均已按期报送。'));
  } else {
    const byIndicator = new Map<string, { name: string; regions: string[] }>();
    for (const l of p.lateReports) {
      const entry = byIndicator.get(l.indicator.code) ?? { name: l.indicator.name, regions: [] };
      entry.regions.push(l.region.name);
      byIndicator.set(l.indicator.code, entry);
    }
    const regions = new Set(p.lateReports.map((l) => l.region.code));
    out.push(para(`${regions.size}个地区有${byIndicator.size}项指标未在本报送周期内报送：`));
    for (const [, e] of byIndicator) out.push(para(`${e.name}：${e.regions.join('、')}。`));
  }
  return out;
}

/** The bulletin as a .docx. */
export async function bulletinDocument(bulletin: Bulletin): Promise<Buffer> {
  const single = bulletin.programmes.length === 1;
  const { region } = bulletin;
  const title = single
    ? `${region.name}${bulletin.programmes[0].programme.name}推进情况通报`
    : `${region.name}${bulletin.asOf.slice(0, 4)}年重点工作推进情况通报`;
  const all = bulletin.programmes.flatMap((p) => p.programme.indicators);
  const by = counts(all);
  const children: (Paragraph | Table)[] = [
    new Paragraph({ alignment: AlignmentType.CENTER, spacing: { after: 200, line: 700, lineRule: LineRuleType.EXACT }, children: [run(title, 'title', { size: SIZE.title, bold: true })] }),
    new Paragraph({ alignment: AlignmentType.CENTER, spacing: { after: 300, ...LINE }, children: [run(`（截至${chineseDate(bulletin.asOf)}）`, 'subheading')] }),
    para(`截至${chineseDate(bulletin.asOf)}，${wholeOf(region)}${single ? bulletin.programmes[0].programme.name : `${bulletin.programmes.length}项重点工程`}共${all.length}项指标，`
      + `其中有目标任务的${by.DONE + by.ON_SCHEDULE + by.BEHIND}项：已完成${by.DONE}项，按进度推进${by.ON_SCHEDULE}项，滞后${by.BEHIND}项。现将有关情况通报如下：`),
    ...bulletin.programmes.flatMap((p, i) => programmeSection(p, i + 1, single, bulletin.asOf)),
  ];
  const document = new Document({
    creator: 'Duban',
    title,
    description: `截至${bulletin.asOf}`,
    styles: { default: { document: { run: { font: FONTS.body, language: LANGUAGE, size: SIZE.body } } } },
    sections: [{
      properties: { page: PAGE },
      footers: {
        default: new Footer({ children: [new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun({ children: ['— ', PageNumber.CURRENT, ' —'], font: FONTS.body, size: 28 })] })] }),
      },
      children,
    }],
  });
  return Packer.toBuffer(document);
}
