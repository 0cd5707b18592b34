import { eventHeader, type EventType } from '../events/event-builder';
import { PresenceChanged, type PresenceChange } from './presence.types';

/** Who joined or left a board: everything is in the row. */
export const presenceChanged: EventType = {
  type: 'PresenceChanged',
  async prepare() {
    return (row) => {
      const w = row.payload.watcher as { username: string; department?: string; since: string };
      return Object.assign(new PresenceChanged(), eventHeader(row), {
        change: row.payload.change as PresenceChange, watching: row.payload.watching as number,
        watcher: { username: w.username, department: w.department, since: new Date(w.since) },
      });
    };
  },
};
