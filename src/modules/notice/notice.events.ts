import { eventHeader, payloadValues, type EventType } from '../events/event-builder';
import { Notice } from './notice.entity';
import { NoticeChanged } from './notice.types';

/** A notice issued, recoloured or moved a step: the boards of its programme over its region are told. */
export const noticeChanged: EventType = {
  type: 'NoticeChanged',
  async prepare(em, rows) {
    const notices = await em.find(Notice, { id: { $in: payloadValues<string>(rows, 'noticeId') } });
    const byId = new Map(notices.map((n) => [n.id, n]));
    return (row) => Object.assign(new NoticeChanged(), eventHeader(row), { notice: byId.get(row.payload.noticeId as string)!, action: row.payload.action as string });
  },
};
