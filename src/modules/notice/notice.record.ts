import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { audit, snapshot } from '../audit/audit.service';
import type { NewEvent } from '../events/outbox.service';
import type { Indicator } from '../indicator/indicator.entity';
import type { Region } from '../region/region.entity';
import { Role, User } from '../user/user.entity';
import { Notice, NoticeColour, NoticeStep } from './notice.entity';

const NOTICE_FIELDS = ['indicator', 'region', 'target', 'colour', 'state', 'reason', 'deadline', 'requestedUntil', 'extendedTo', 'redSince', 'escalatedAt', 'closedAt'] as const;

export type Before = Record<string, unknown> | null;
export const before = (n: Notice): Before => snapshot(n, NOTICE_FIELDS);

/** Who a notice's changes reach. */
export type Audience = 'REGION' | 'DEPARTMENT' | 'LEADERS';

/** The accounts a notice can concern, read once per evaluation or transition. */
export interface People {
  /** Enabled REPORTER, DEPARTMENT and LEADER accounts with their scope. */
  users: { id: number; role: Role; path: string | null; departmentId: number | null }[];
}

export async function loadPeople(em: EntityManager): Promise<People> {
  const rows = await em.execute<{ id: number; role: Role; path: string | null; department_id: number | null }[]>(`
    select u.id, u.role, r.path, u.department_id from app_user u left join region r on r.code = u.region_code
    where u.disabled_at is null and u.role in ('REPORTER', 'DEPARTMENT', 'LEADER')`);
  return { users: rows.map((r) => ({ id: Number(r.id), role: r.role, path: r.path, departmentId: r.department_id === null ? null : Number(r.department_id) })) };
}

function audienceOf(people: People, audience: Audience, region: Region, leadDepartmentId: number): number[] {
  return people.users.filter((u) => {
    if (audience === 'REGION') return u.role === Role.REPORTER && u.path !== null && (u.path.startsWith(region.path) || region.path.startsWith(u.path));
    if (audience === 'DEPARTMENT') return u.role === Role.DEPARTMENT && u.departmentId === leadDepartmentId;
    return u.role === Role.LEADER;
  }).map((u) => u.id);
}

const COLOUR_WORD: Record<NoticeColour, string> = { BLUE: '蓝色', YELLOW: '黄色', RED: '红色' };
const ACTION_WORD: Record<string, string> = {
  ISSUED: '已下发', RAISED: '已升级', LOWERED: '已降级', LIFTED: '已解除', ESCALATED: '逾期未签收，已报领导',
  ACKNOWLEDGED: '已签收', EXTENSION_REQUESTED: '申请延期', EXTENSION_GRANTED: '延期已批准', EXTENSION_REFUSED: '延期未批准',
  COMPLETED: '已办结，待验收', ACCEPTED: '已验收', RETURNED: '办结被退回',
};

export interface Change {
  notice: Notice;
  indicator: Indicator;
  region: Region;
  action: string;
  actor?: User;
  note?: string;
  before: Before;
  audiences: Audience[];
}

/**
 * Records a change of a notice in `tx`: a step of its history, an audit entry, a NoticeChanged
 * event for the boards and a NOTICE notification to each person it concerns. Returns the events.
 */
export function record(tx: EntityManager, clock: Clock, people: People, c: Change): NewEvent[] {
  const at = clock.now();
  const { notice, indicator, region } = c;
  tx.create(NoticeStep, {
    notice, action: c.action, state: notice.state, colour: notice.colour, note: c.note,
    actor: c.actor ? tx.getReference(User, c.actor.id) : undefined, day: clock.today(), at,
  });
  audit(tx, c.actor, at, {
    action: `NOTICE_${c.action}`, entityType: 'Notice', entityId: notice.id, indicatorCode: indicator.code, regionCode: region.code,
    before: c.before, after: before(notice),
  });
  const message = `督办单（${COLOUR_WORD[notice.colour]}）${ACTION_WORD[c.action] ?? c.action}：${indicator.code} ${indicator.name}，${region.name}。${notice.reason}${c.note ? `（${c.note}）` : ''}`;
  const users = new Set(c.audiences.flatMap((a) => audienceOf(people, a, region, indicator.programme.lead.id)));
  users.delete(c.actor?.id ?? -1);
  return [
    { type: 'NoticeChanged', programmeId: indicator.programme.id, regionCode: region.code, parentCode: region.parent?.code, payload: { noticeId: notice.id, action: c.action } },
    ...[...users].map((userId) => ({ type: 'Notification', userId, payload: { kind: 'NOTICE', noticeId: notice.id, message } })),
  ];
}
