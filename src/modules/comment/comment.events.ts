import { eventHeader, payloadValues, type EventType } from '../events/event-builder';
import { CommentAdded } from '../board/board.types';
import { Comment } from './comment.entity';

export const commentAdded: EventType = {
  type: 'CommentAdded',
  async prepare(em, rows) {
    const comments = await em.find(Comment, { id: { $in: payloadValues<string>(rows, 'commentId') } });
    const byId = new Map(comments.map((c) => [c.id, c]));
    return (row) => Object.assign(new CommentAdded(), eventHeader(row), { comment: byId.get(row.payload.commentId as string)! });
  },
};
