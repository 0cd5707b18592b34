import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { createLoaders } from '../../server/loaders';
import type { NewEvent } from '../events/outbox.service';
import type { OutboxEvent } from '../events/outbox.entity';
import { INTERNAL_TYPES } from '../events/facts';
import { Indicator } from '../indicator/indicator.entity';
import { Progress } from '../progress/progress.types';
import { Region } from '../region/region.entity';
import { Target } from '../target/target.entity';
import { CommentAdded, ProgrammeChanged, ProgressChanged, SubmissionReviewed, TargetChanged, UrgeChanged } from './board.types';
import { Programme } from '../programme/programme.entity';
import { Urge } from '../urge/urge.entity';
import { Comment } from '../comment/comment.entity';
import { Submission } from '../submission/submission.entity';
import { Notification, type NotificationKind } from '../notification/notification.types';
import { PresenceChanged, type PresenceChange } from '../presence/presence.types';
import { SESSION_CHANGED } from '../user/session-events';

/** The codes of a region and its ancestors, from its materialised path, the region first. */
export function selfAndAncestors(region: Region): string[] {
  return region.path.split('/').filter(Boolean).reverse();
}

/** What a ProgressChanged event keeps of the progress: the figures, as they stood after the fold. */
type ProgressSnapshot = Pick<Progress, 'actual' | 'completion' | 'expectedByNow' | 'status' | 'reportedCount' | 'expectedCount' | 'met' | 'metOf' | 'doneOn'>
  & { lastReportedAt: string | null; targetId: number | null };

/**
 * The ProgressChanged events of indicator × region `keys`, in their order, in one batch of the
 * progress loaders on `tx` (the projector's transaction, reading the roll-ups it has just moved):
 * what a fresh `progress` query reads. `folded` names the facts that moved them.
 */
export async function progressChangedEvents(
  tx: EntityManager, clock: Clock, keys: { indicatorId: number; regionCode: string }[], folded: { from: string; through: string },
): Promise<NewEvent[]> {
  if (keys.length === 0) return [];
  const loaders = createLoaders(tx, clock, { projection: 'maintained' });
  const asOf = clock.today();
  const rows = await loaders.progress.loadMany(keys.map((k) => ({ ...k, asOf })));
  return rows.filter((p): p is Progress => !(p instanceof Error)).map((p) => {
    const progress: ProgressSnapshot = {
      actual: p.actual, completion: p.completion, expectedByNow: p.expectedByNow, status: p.status,
      reportedCount: p.reportedCount, expectedCount: p.expectedCount, met: p.met, metOf: p.metOf, doneOn: p.doneOn,
      lastReportedAt: p.lastReportedAt?.toISOString() ?? null, targetId: p.target?.id ?? null,
    };
    return {
      type: 'ProgressChanged', programmeId: p.indicator.programme.id, regionCode: p.region.code, parentCode: p.region.parent?.code,
      payload: { indicatorId: p.indicator.id, regionCode: p.region.code, asOf, progress, folded },
    };
  });
}

export function targetChangedEvent(target: Target, programmeId: number): NewEvent {
  return {
    type: 'TargetChanged', programmeId, regionCode: target.region.code, parentCode: target.region.parent?.code,
    payload: { targetId: target.id, version: target.version, indicatorId: target.indicator.id, regionCode: target.region.code },
  };
}

/** The objects subscribers receive for a page of outbox rows: entities loaded once for the page (no subscriber receives the projector's own facts). */
export async function buildEvents(em: EntityManager, all: OutboxEvent[]): Promise<unknown[]> {
  const rows = all.filter((r) => !INTERNAL_TYPES.has(r.type));
  const built = await buildVisible(em, rows);
  const byRow = new Map(rows.map((r, i) => [r, built[i]]));
  return all.map((r) => byRow.get(r));
}

async function buildVisible(em: EntityManager, rows: OutboxEvent[]): Promise<unknown[]> {
  const ids = <T>(key: string) => [...new Set(rows.map((r) => r.payload[key]).filter((v) => v != null))] as T[];
  const progressTargets = rows.map((r) => (r.payload.progress as ProgressSnapshot | undefined)?.targetId).filter((v): v is number => v != null);
  // A page of figures names no submission, comment or urge: no statement for what it does not name.
  const find = <T extends object>(keys: unknown[], read: () => Promise<T[]>): Promise<T[]> => (keys.length === 0 ? Promise.resolve([]) : read());
  const indicatorIds = ids<number>('indicatorId');
  const regionCodes = [...new Set([...ids<string>('regionCode'), ...rows.map((r) => r.regionCode)].filter((c): c is string => !!c))];
  const targetIds = [...new Set([...ids<number>('targetId'), ...progressTargets])];
  const [submissionIds, commentIds, urgeIds] = [ids<string>('submissionId'), ids<string>('commentId'), ids<string>('urgeId')];
  const programmeIds = rows.filter((r) => r.type === 'ProgrammeChanged').map((r) => r.programmeId!);
  const [indicators, regions, targets, submissions, comments, urges, programmes] = await Promise.all([
    find(indicatorIds, () => em.find(Indicator, { id: { $in: indicatorIds } }, { populate: ['programme'] })),
    find(regionCodes, () => em.find(Region, { code: { $in: regionCodes } })),
    find(targetIds, () => em.find(Target, { id: { $in: targetIds } }, { populate: ['indicator', 'region'] })),
    find(submissionIds, () => em.find(Submission, { id: { $in: submissionIds } })),
    find(commentIds, () => em.find(Comment, { id: { $in: commentIds } })),
    find(urgeIds, () => em.find(Urge, { id: { $in: urgeIds } })),
    find(programmeIds, () => em.find(Programme, { id: { $in: programmeIds } })),
  ]);
  const urge = new Map(urges.map((u) => [u.id, u]));
  const programme = new Map(programmes.map((p) => [p.id, p]));
  const indicator = new Map(indicators.map((i) => [i.id, i]));
  const region = new Map(regions.map((r) => [r.code, r]));
  const target = new Map(targets.map((t) => [t.id, t]));
  const submission = new Map(submissions.map((x) => [x.id, x]));
  const comment = new Map(comments.map((c) => [c.id, c]));
  return rows.map((row) => {
    const common = { cursor: row.seq, at: row.createdAt, programmeId: row.programmeId ?? 0 };
    switch (row.type) {
      case 'TargetChanged':
        return Object.assign(new TargetChanged(), common, { target: target.get(row.payload.targetId as number)! });
      case 'SubmissionReviewed':
        return Object.assign(new SubmissionReviewed(), common, { submission: submission.get(row.payload.submissionId as string)! });
      case 'CommentAdded':
        return Object.assign(new CommentAdded(), common, { comment: comment.get(row.payload.commentId as string)! });
      case 'UrgeChanged':
        return Object.assign(new UrgeChanged(), common, { urge: urge.get(row.payload.urgeId as string)! });
      case 'ProgrammeChanged':
        return Object.assign(new ProgrammeChanged(), common, { programme: programme.get(row.programmeId!)! });
      case 'PresenceChanged': {
        const w = row.payload.watcher as { username: string; department?: string; since: string };
        return Object.assign(new PresenceChanged(), common, {
          change: row.payload.change as PresenceChange, watching: row.payload.watching as number,
          watcher: { username: w.username, department: w.department, since: new Date(w.since) },
        });
      }
      case SESSION_CHANGED:
        // Read by each instance's sockets from the row itself (SocketSessions); no subscriber gets it.
        return null;
      case 'Notification':
        return Object.assign(new Notification(), {
          cursor: row.seq, at: row.createdAt, kind: row.payload.kind as NotificationKind, message: row.payload.message as string,
          submission: row.payload.submissionId ? submission.get(row.payload.submissionId as string) ?? null : null,
          comment: row.payload.commentId ? comment.get(row.payload.commentId as string) ?? null : null,
          urge: row.payload.urgeId ? urge.get(row.payload.urgeId as string) ?? null : null,
        });
      default: {
        const snapshot = row.payload.progress as ProgressSnapshot;
        const i = indicator.get(row.payload.indicatorId as number)!;
        const r = region.get(row.payload.regionCode as string)!;
        const progress = Object.assign(new Progress(), snapshot, {
          indicator: i, region: r, asOf: row.payload.asOf as string,
          lastReportedAt: snapshot.lastReportedAt ? new Date(snapshot.lastReportedAt) : null,
          target: snapshot.targetId ? target.get(snapshot.targetId) ?? null : null,
        });
        return Object.assign(new ProgressChanged(), common, { indicator: i, region: r, progress });
      }
    }
  });
}
