import { eventHeader, type EventType } from '../events/event-builder';
import { ProgrammeChanged } from '../board/board.types';
import { Programme } from './programme.entity';

export const programmeChanged: EventType = {
  type: 'ProgrammeChanged',
  async prepare(em, rows) {
    const programmes = await em.find(Programme, { id: { $in: [...new Set(rows.map((r) => r.programmeId!))] } });
    const byId = new Map(programmes.map((p) => [p.id, p]));
    return (row) => Object.assign(new ProgrammeChanged(), eventHeader(row), { programme: byId.get(row.programmeId!)! });
  },
};
