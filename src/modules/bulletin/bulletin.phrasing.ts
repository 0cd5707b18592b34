import type { BulletinIndicator, BulletinTarget } from './bulletin.query';

/*
 * How a bureau's bulletin writes its figures, as the seed report does: "全市规划新增乡镇（街道）居家
 * 养老服务中心70家……建成投用25家，完成任务数的36%", "计划新增养老机构床位11680张，已谋划约7430张，
 * 完成目标值的63.6%". Pure functions, tested without a database.
 */

/** A figure with thousands separators and at most the indicator's decimals: 11,680; 7.2; 63.6. */
export function figure(value: number, decimals = 2): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: Math.max(0, decimals), useGrouping: true });
}

/**
 * A completion as a percentage no finer than one unit of the target: 25 of 70 reads 36% (one
 * centre is 1.4%, so a decimal would say more than the count knows); 7,430 of 11,680 reads 63.6%.
 */
export function percent(completion: number, target?: number | null): string {
  const decimals = target != null && Math.abs(target) > 100 ? 1 : 0;
  return `${figure(Math.round(completion * 100 * 10 ** decimals) / 10 ** decimals, decimals)}%`;
}

/** 2019-10-31 as 2019年10月31日. */
export function chineseDate(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

const NUMERALS = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
/** 1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (headings' numbering, up to 99). */
export function chineseNumeral(n: number): string {
  if (n < 10) return NUMERALS[n];
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? '' : NUMERALS[tens]}十${ones ? NUMERALS[ones] : ''}`;
}

/** How a region names itself in its own bulletin: 全市 for a city, 全区/全县 for a county, … */
export function wholeOf(region: { name: string; level: string }): string {
  if (region.level === 'NATION') return '全国';
  if (region.level === 'PROVINCE') return '全省';
  if (region.level === 'CITY') return '全市';
  const suffix = /(自治县|街道|区|县|市|镇|乡)$/.exec(region.name)?.[1];
  if (!suffix) return region.name;
  return `全${suffix === '自治县' ? '县' : suffix}`;
}

export type StatusGroup = 'DONE' | 'ON_SCHEDULE' | 'BEHIND' | 'NO_TARGET';

/** The bulletin's three groups (已完成 / 按进度推进 / 滞后), and the figures without a target. */
export function statusGroup(status: string): StatusGroup {
  if (status === 'ACHIEVED') return 'DONE';
  if (status === 'ON_TRACK') return 'ON_SCHEDULE';
  if (status === 'NO_TARGET') return 'NO_TARGET';
  return 'BEHIND';
}

export const GROUP_TITLES: Record<StatusGroup, string> = {
  DONE: '已完成', ON_SCHEDULE: '按进度推进', BEHIND: '滞后', NO_TARGET: '其他工作数据',
};

const STATUS_PHRASES: Record<string, string> = {
  ACHIEVED: '已完成目标任务',
  ON_TRACK: '按序时进度推进',
  AT_RISK: '略慢于序时进度',
  BEHIND: '滞后于序时进度',
  OVERDUE: '已逾期未完成',
  NOT_STARTED: '尚未报送',
};

function withUnit(text: string, unit: string | null): string {
  return unit ? `${text}${unit}` : text;
}

/** The target as the report states it: 70家, 3至5个, 不低于50%, 不高于…. */
function targetText(t: BulletinTarget, unit: string | null, decimals: number): string | undefined {
  if (t.comparator === 'RANGE' && t.min != null && t.max != null) return withUnit(`${figure(t.min, decimals)}至${figure(t.max, decimals)}`, unit);
  if (t.value == null) return undefined;
  const value = withUnit(figure(t.value, decimals), unit);
  if (unit === '%' || t.comparator === 'LTE') return `${t.comparator === 'LTE' ? '不高于' : t.comparator === 'EQ' ? '' : '不低于'}${value}`;
  return value;
}

/**
 * One sentence per indicator from its figures: the target, what is done, the completion as a
 * percentage, the status and the deadline, e.g. "全市乡镇（街道）居家养老服务中心建成投用，目标
 * 任务70家，已完成25家，完成目标值的36%，滞后于序时进度，须于2019年10月31日前完成。"
 */
export function indicatorSentence(indicator: BulletinIndicator, region: { name: string; level: string }): string {
  const p = indicator.progress;
  const { unit, decimals } = indicator;
  const subject = `${wholeOf(region)}${indicator.name}`;
  const parts: string[] = [];
  const t = p.target;
  const deadline = t?.deadline ? `须于${chineseDate(t.deadline)}前完成` : undefined;

  if (indicator.kind === 'MILESTONE') {
    if (p.doneOn) parts.push(`${subject}已于${chineseDate(p.doneOn)}完成`);
    else {
      parts.push(`${subject}尚未完成`);
      if (p.met != null && p.metOf) parts.push(`${p.metOf}个地区中${p.met}个已完成`);
      if (p.status !== 'NOT_STARTED' && STATUS_PHRASES[p.status]) parts.push(STATUS_PHRASES[p.status]);
      if (deadline) parts.push(deadline);
    }
    return `${parts.join('，')}。`;
  }

  const target = t ? targetText(t, unit, decimals) : undefined;
  if (!t || !target) {
    // A figure the report gives without a target: said as it stands.
    if (p.actual == null) return `${subject}尚未报送。`;
    return `${subject}${withUnit(figure(p.actual, decimals), unit)}。`;
  }
  parts.push(subject, `目标任务${target}`);
  if (p.actual == null) {
    parts.push('尚未报送完成情况');
  } else {
    parts.push(`已完成${withUnit(figure(p.actual, decimals), unit)}`);
    if (p.completion != null && unit !== '%') parts.push(`完成目标值的${percent(p.completion, t.value ?? t.max)}`);
    if (p.met != null && p.metOf) parts.push(`${p.metOf}个地区中${p.met}个达标`);
    const phrase = STATUS_PHRASES[p.status];
    if (phrase) parts.push(phrase);
    if ((p.status === 'BEHIND' || p.status === 'AT_RISK') && p.expectedByNow != null && unit !== '%') {
      parts.push(`序时进度应达${withUnit(figure(p.expectedByNow, Math.min(decimals, 1)), unit)}`);
    }
  }
  if (deadline && p.status !== 'ACHIEVED') parts.push(p.status === 'OVERDUE' ? `截止日期为${chineseDate(t.deadline!)}` : deadline);
  return `${parts.join('，')}。`;
}

export const COLOUR_NAMES: Record<string, string> = { RED: '红色', YELLOW: '黄色', BLUE: '蓝色' };

export const NOTICE_STATES: Record<string, string> = {
  ISSUED: '已签发', ACKNOWLEDGED: '已签收', EXTENSION_REQUESTED: '申请延期', EXTENSION_GRANTED: '已准予延期',
  EXTENSION_REFUSED: '延期未准', COMPLETED: '已办结待验收', RETURNED: '验收退回', ACCEPTED: '已验收', LIFTED: '已解除',
};
