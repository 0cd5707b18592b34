import { BadInputError, ForbiddenError, NotFoundError } from '../../core/errors';
import type { NewEvent } from '../events/outbox.service';
import type { UnitOfWork } from '../events/unit-of-work';
import { findIndicatorAndRegion } from '../indicator/indicator.lookup';
import { Submission } from '../submission/submission.entity';
import { Role, User } from '../user/user.entity';
import { inScope } from '../user/user.scope';
import { Comment, CommentKind } from './comment.entity';
import type { AddCommentInput } from './comment.input';

/** Adds a comment; the board hears of it, and so does the reporter of the submission it is on. */
export async function addComment(unit: UnitOfWork, user: User, input: AddCommentInput): Promise<Comment> {
  const { em, clock } = unit;
  const text = input.text.trim();
  if (!text) throw new BadInputError('text is empty', 'text');
  if (user.role === Role.VIEWER) throw new ForbiddenError('A VIEWER reads; it cannot comment');
  const kind = input.kind ?? (user.role === Role.LEADER ? CommentKind.INSTRUCTION : CommentKind.COMMENT);
  if (kind === CommentKind.INSTRUCTION && user.role !== Role.LEADER && user.role !== Role.ADMIN) {
    throw new ForbiddenError('Instructions (批示) are a LEADER\'s; write a COMMENT');
  }
  const { indicator, region } = await findIndicatorAndRegion(em, input);
  if (!inScope(user, region)) throw new ForbiddenError(`${region.name} (${region.code}) is outside your region`);
  let submission: Submission | null = null;
  if (input.submission != null) {
    submission = /^\d{1,18}$/.test(input.submission) ? await em.findOne(Submission, { id: input.submission }) : null;
    if (!submission) throw new NotFoundError('Submission', input.submission);
    if (submission.indicator.id !== indicator.id || submission.region.code !== region.code) {
      throw new BadInputError(`Submission ${submission.id} is not of ${indicator.code} in ${region.code}`, 'submission');
    }
  }
  return unit.transaction(async (tx, outbox) => {
    const comment = tx.create(Comment, { indicator, region, submission: submission ?? undefined, kind, text, author: tx.getReference(User, user.id), createdAt: clock.now() });
    await tx.flush();
    const events: NewEvent[] = [
      { type: 'CommentAdded', programmeId: indicator.programme.id, regionCode: region.code, parentCode: region.parent?.code, payload: { commentId: comment.id } },
    ];
    if (submission && submission.submittedBy.id !== user.id) {
      events.push({ type: 'Notification', userId: submission.submittedBy.id,
        payload: { kind: 'COMMENT_ADDED', commentId: comment.id, submissionId: submission.id, message: `${user.username} ${kind === CommentKind.INSTRUCTION ? '批示' : '评论'} ${indicator.code} ${region.name}：${text.slice(0, 100)}` } });
    }
    outbox.add(...events);
    return comment;
  });
}
