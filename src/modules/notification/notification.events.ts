import { findIn, payloadValues, type EventType } from '../events/event-builder';
import type { OutboxEvent } from '../events/outbox.entity';
import { Comment } from '../comment/comment.entity';
import { Submission } from '../submission/submission.entity';
import { Urge } from '../urge/urge.entity';
import { Notice } from '../notice/notice.entity';
import { Notification, type NotificationKind } from './notification.types';

/** The rows of a payload key's values, read only when the page names some. */
const some = <T>(rows: OutboxEvent[], key: string, read: (ids: string[]) => Promise<T[]>) => {
  const ids = payloadValues<string>(rows, key);
  return findIn(ids, () => read(ids));
};

/** A user's notification, with what it is about (a submission, a comment, an urge or a notice) loaded for the page. */
export const notification: EventType = {
  type: 'Notification',
  async prepare(em, rows) {
    const [submissions, comments, urges, notices] = await Promise.all([
      some(rows, 'submissionId', (ids) => em.find(Submission, { id: { $in: ids } })),
      some(rows, 'commentId', (ids) => em.find(Comment, { id: { $in: ids } })),
      some(rows, 'urgeId', (ids) => em.find(Urge, { id: { $in: ids } })),
      some(rows, 'noticeId', (ids) => em.find(Notice, { id: { $in: ids } })),
    ]);
    const submission = new Map(submissions.map((x) => [x.id, x]));
    const comment = new Map(comments.map((c) => [c.id, c]));
    const urge = new Map(urges.map((u) => [u.id, u]));
    const notice = new Map(notices.map((n) => [n.id, n]));
    return (row) => Object.assign(new Notification(), {
      cursor: row.seq, at: row.createdAt, kind: row.payload.kind as NotificationKind, message: row.payload.message as string,
      submission: row.payload.submissionId ? submission.get(row.payload.submissionId as string) ?? null : null,
      comment: row.payload.commentId ? comment.get(row.payload.commentId as string) ?? null : null,
      urge: row.payload.urgeId ? urge.get(row.payload.urgeId as string) ?? null : null,
      notice: row.payload.noticeId ? notice.get(row.payload.noticeId as string) ?? null : null,
    });
  },
};
