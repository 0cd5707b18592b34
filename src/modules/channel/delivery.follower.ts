import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ChannelEvent } from './channel.entity';
import { toGlobalId } from '../../common/node';

/** The outbox types a channel may carry. */
const CARRIED = ['NoticeChanged', 'UrgeChanged', 'CommentAdded'];

const COLOUR: Record<string, string> = { BLUE: '蓝色', YELLOW: '黄色', RED: '红色' };
const NOTICE_ACTION: Record<string, string> = {
  ISSUED: '已下发', RAISED: '已升级', LOWERED: '已降级', LIFTED: '已解除', ESCALATED: '逾期未签收，已报领导',
  ACKNOWLEDGED: '已签收', EXTENSION_REQUESTED: '申请延期', EXTENSION_GRANTED: '延期已批准', EXTENSION_REFUSED: '延期未批准',
  COMPLETED: '已办结，待验收', ACCEPTED: '已验收', RETURNED: '办结被退回',
};

interface EventRow {
  seq: string;
  type: string;
  programme_id: number | null;
  region_code: string | null;
  payload: Record<string, unknown>;
}

interface ChannelRow {
  id: string;
  programmes: string[];
  regions: string[];
  events: string[];
  from_seq: string;
}

/** What one read of the outbox did. */
export interface Followed {
  /** Deliveries made. */
  made: number;
  /** The cursor after it: every event through this sequence has its deliveries. */
  through: bigint;
  /** The page was full: there is more past `through`. */
  more: boolean;
}

/** A message made of one event: its kind, title, markdown text and what a webhook gets as payload (ids as the API shows them). */
export interface Message {
  event: ChannelEvent;
  title: string;
  text: string;
  payload: Record<string, unknown>;
}

/** Markdown's special characters in user text, escaped. */
function md(text: string): string {
  return text.replace(/([\\`*_[\]#>|])/g, '\\$1');
}

function noticeEvent(action: string): ChannelEvent {
  if (action === 'ISSUED') return ChannelEvent.NOTICE_ISSUED;
  if (action === 'RAISED') return ChannelEvent.NOTICE_RAISED;
  if (action === 'ESCALATED') return ChannelEvent.NOTICE_ESCALATED;
  return ChannelEvent.NOTICE_STEP;
}

/** The messages of a page of carried events, by seq (an event that says nothing to a channel, such as an urge resolved, has none). */
async function messagesOf(tx: EntityManager, rows: EventRow[]): Promise<Map<string, Message>> {
  const ids = (type: string, key: string) => rows.filter((r) => r.type === type).map((r) => String(r.payload[key]));
  // One after another: they share the transaction's connection.
  const notices = await tx.execute<Record<string, string>[]>(`
      select n.id::text, n.colour::text, n.reason, to_char(n.deadline, 'YYYY-MM-DD') as deadline, i.code as indicator, i.name as indicator_name,
             r.code as region, r.name as region_name, p.code as programme
      from notice n join indicator i on i.id = n.indicator_id join programme p on p.id = i.programme_id join region r on r.code = n.region_code
      where n.id = any(?::bigint[])`, [`{${ids('NoticeChanged', 'noticeId').join(',')}}`]);
  const urges = await tx.execute<Record<string, string>[]>(`
      select u.id::text, to_char(u.due_on, 'YYYY-MM-DD') as due_on, u.message, i.code as indicator, i.name as indicator_name,
             r.code as region, r.name as region_name, p.code as programme, a.username as author
      from urge u join indicator i on i.id = u.indicator_id join programme p on p.id = i.programme_id join region r on r.code = u.region_code
      join app_user a on a.id = u.created_by_id
      where u.id = any(?::bigint[])`, [`{${ids('UrgeChanged', 'urgeId').join(',')}}`]);
  const comments = await tx.execute<Record<string, string>[]>(`
      select c.id::text, c.kind::text, c.text, i.code as indicator, i.name as indicator_name,
             r.code as region, r.name as region_name, p.code as programme, a.username as author
      from comment c join indicator i on i.id = c.indicator_id join programme p on p.id = i.programme_id join region r on r.code = c.region_code
      join app_user a on a.id = c.author_id
      where c.id = any(?::bigint[])`, [`{${ids('CommentAdded', 'commentId').join(',')}}`]);
  const byId = (list: Record<string, string>[]) => new Map(list.map((x) => [x.id, x]));
  const [notice, urge, comment] = [byId(notices), byId(urges), byId(comments)];
  const out = new Map<string, Message>();
  for (const row of rows) {
    if (row.type === 'NoticeChanged') {
      const n = notice.get(String(row.payload.noticeId));
      if (!n) continue;
      const action = String(row.payload.action);
      const title = `督办单（${COLOUR[n.colour] ?? n.colour}）${NOTICE_ACTION[action] ?? action}`;
      out.set(row.seq, {
        event: noticeEvent(action), title,
        text: `### ${title}\n\n**${md(n.indicator)} ${md(n.indicator_name)}**，${md(n.region_name)}\n\n${md(n.reason)}\n\n办结期限：${n.deadline}`,
        payload: { notice: { id: n.id, colour: n.colour, action, reason: n.reason, deadline: n.deadline }, programme: n.programme, indicator: n.indicator, region: n.region },
      });
    } else if (row.type === 'UrgeChanged') {
      // An urge resolved by a figure says nothing to a channel; the urge itself does.
      if (row.payload.change === 'RESOLVED') continue;
      const u = urge.get(String(row.payload.urgeId));
      if (!u) continue;
      const title = `催办：${u.indicator} ${u.indicator_name}`;
      out.set(row.seq, {
        event: ChannelEvent.URGE, title,
        text: `### 催办\n\n**${md(u.indicator)} ${md(u.indicator_name)}**，${md(u.region_name)}，请于 ${u.due_on} 前报送${u.message ? `\n\n${md(u.message)}` : ''}`,
        payload: { urge: { id: toGlobalId('Urge', u.id), dueOn: u.due_on, message: u.message, by: u.author }, programme: u.programme, indicator: u.indicator, region: u.region },
      });
    } else if (row.type === 'CommentAdded') {
      const c = comment.get(String(row.payload.commentId));
      if (!c) continue;
      const instruction = c.kind === 'INSTRUCTION';
      const title = `${instruction ? '批示' : '评论'}：${c.indicator} ${c.indicator_name}`;
      out.set(row.seq, {
        event: instruction ? ChannelEvent.INSTRUCTION : ChannelEvent.COMMENT, title,
        text: `### ${instruction ? '领导批示' : '评论'}\n\n**${md(c.indicator)} ${md(c.indicator_name)}**，${md(c.region_name)}\n\n${md(c.text)}\n\n—— ${md(c.author)}`,
        payload: { comment: { id: toGlobalId('Comment', c.id), kind: c.kind, text: c.text, by: c.author }, programme: c.programme, indicator: c.indicator, region: c.region },
      });
    }
  }
  return out;
}

/**
 * Turns the outbox into deliveries, in sequence order, one page at a time: the committed events past
 * the cursor, for each channel whose filters they pass, a delivery (the unique channel × seq makes it
 * idempotent), and the cursor moved, in one transaction that holds the cursor's row (instances take
 * turns). An event of a write that rolled back was never in the outbox: it sends nothing.
 * Returns what it made and where the cursor is now (the sender keeps it, to read again only once the
 * outbox has grown past it).
 */
export async function followOutbox(em: EntityManager, pageSize = 500): Promise<Followed> {
  // Nothing new (another instance followed it first), or no channel to deliver to: no transaction, no row lock.
  const [seen] = await em.fork().execute<{ cursor: string | null; last: string; channels: boolean }[]>(`
    select c.seq::text as cursor, s.last_seq::text as last, exists (select 1 from channel) as channels
    from outbox_sequence s left join delivery_cursor c on c.id where s.id`);
  if (seen?.cursor != null && BigInt(seen.cursor) >= BigInt(seen.last)) return { made: 0, through: BigInt(seen.cursor), more: false };
  // No channel: nothing to make, and the stored cursor stays (a channel created later starts past
  // its own from_seq, where the cursor then jumps).
  if (seen && !seen.channels) return { made: 0, through: BigInt(seen.last), more: false };
  return em.fork().transactional(async (tx) => {
    // The first follow with a channel starts where the oldest channel starts (none takes an event before it).
    await tx.execute(`insert into delivery_cursor (id, seq)
      select true, coalesce((select min(from_seq) from channel), last_seq) from outbox_sequence where id on conflict (id) do nothing`);
    // From the cursor, or from the oldest channel's start if later (no channel takes an event before it).
    const [{ seq: cursor, last_seq: upper }] = await tx.execute<{ seq: string; last_seq: string }[]>(`
      select greatest(c.seq, (select coalesce(min(from_seq), 0) from channel))::text as seq, s.last_seq::text as last_seq
      from delivery_cursor c, outbox_sequence s where c.id and s.id for update of c`);
    if (BigInt(cursor) >= BigInt(upper)) return { made: 0, through: BigInt(cursor), more: false };
    const rows = await tx.execute<EventRow[]>(`
      select seq::text, type, programme_id, region_code, payload from outbox_event
      where seq > ? and seq <= ? and type = any(?::text[]) order by seq limit ?`, [cursor, upper, `{${CARRIED.join(',')}}`, pageSize]);
    const through = rows.length === pageSize ? rows[rows.length - 1].seq : upper;
    let made = 0;
    const channels = await tx.execute<ChannelRow[]>('select id::text, programmes, regions, events, from_seq::text from channel');
    if (rows.length && channels.length) {
      const codes = [...new Set([...rows.map((r) => r.region_code), ...channels.flatMap((c) => c.regions)].filter((c): c is string => !!c))];
      const regions = await tx.execute<{ code: string; path: string }[]>('select code, path from region where code = any(?::text[])', [`{${codes.join(',')}}`]);
      const programmes = await tx.execute<{ id: number; code: string }[]>('select id, code from programme');
      const messages = await messagesOf(tx, rows);
      const path = new Map(regions.map((r) => [r.code, r.path]));
      const programme = new Map(programmes.map((p) => [p.id, p.code]));
      const values: unknown[] = [];
      for (const row of rows) {
        const message = messages.get(row.seq);
        if (!message) continue;
        const at = row.region_code ? path.get(row.region_code) : undefined;
        for (const c of channels) {
          if (BigInt(row.seq) <= BigInt(c.from_seq)) continue;
          if (c.events.length && !c.events.includes(message.event)) continue;
          if (c.programmes.length && !c.programmes.includes(programme.get(row.programme_id ?? -1) ?? '')) continue;
          if (c.regions.length && !(at && c.regions.some((r) => { const p = path.get(r); return p !== undefined && at.startsWith(p); }))) continue;
          values.push(randomUUID(), c.id, row.seq, message.event, message.title, message.text, JSON.stringify({ ...message.payload, type: row.type }));
          made += 1;
        }
      }
      if (made) {
        await tx.execute(`
          insert into delivery (id, channel_id, event_seq, event, title, text, payload, status, attempts, next_attempt_at, created_at)
          select v.id::uuid, v.channel_id::bigint, v.seq::bigint, v.event::channel_event, v.title, v.text, v.payload::jsonb, 'PENDING', 0, now(), now()
          from (values ${Array.from({ length: made }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}) as v (id, channel_id, seq, event, title, text, payload)
          on conflict (channel_id, event_seq) do nothing`, values);
      }
    }
    await tx.execute('update delivery_cursor set seq = ? where id', [through]);
    return { made, through: BigInt(through), more: BigInt(through) < BigInt(upper) };
  });
}
