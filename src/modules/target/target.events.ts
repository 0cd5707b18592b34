import type { NewEvent } from '../events/outbox.service';
import { eventHeader, payloadValues, type EventType } from '../events/event-builder';
import { TargetChanged } from '../board/board.types';
import { Target } from './target.entity';

/** The fact of a target set or changed: boards are told, and the projector moves what its target changes. */
export function targetChangedEvent(target: Target, programmeId: number): NewEvent {
  return {
    type: 'TargetChanged', programmeId, regionCode: target.region.code, parentCode: target.region.parent?.code,
    payload: { targetId: target.id, version: target.version, indicatorId: target.indicator.id, regionCode: target.region.code },
  };
}

export const targetChanged: EventType = {
  type: 'TargetChanged',
  async prepare(em, rows) {
    const targets = await em.find(Target, { id: { $in: payloadValues<number>(rows, 'targetId') } }, { populate: ['indicator', 'region'] });
    const byId = new Map(targets.map((t) => [t.id, t]));
    return (row) => Object.assign(new TargetChanged(), eventHeader(row), { target: byId.get(row.payload.targetId as number)! });
  },
};
