import { eventHeader, payloadValues, type EventType } from '../events/event-builder';
import { UrgeChanged } from '../board/board.types';
import { Urge } from './urge.entity';

export const urgeChanged: EventType = {
  type: 'UrgeChanged',
  async prepare(em, rows) {
    const urges = await em.find(Urge, { id: { $in: payloadValues<string>(rows, 'urgeId') } });
    const byId = new Map(urges.map((u) => [u.id, u]));
    return (row) => Object.assign(new UrgeChanged(), eventHeader(row), { urge: byId.get(row.payload.urgeId as string)! });
  },
};
