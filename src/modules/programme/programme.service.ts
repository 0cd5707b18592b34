import { LockMode } from '@mikro-orm/core';
import { BadInputError, NotFoundError } from '../../core/errors';
import { audit } from '../audit/audit.service';
import type { UnitOfWork } from '../events/unit-of-work';
import { SubmissionStatus } from '../submission/submission.entity';
import type { User } from '../user/user.entity';
import { assertMayWrite } from '../user/user.scope';
import { Programme } from './programme.entity';

/**
 * Which review statuses count on the programme's boards: SUBMITTED and APPROVED, or APPROVED only.
 * ADMIN or the leading department; every board of the programme is told to read again, and the
 * projector folds the change into the roll-ups.
 */
export async function setCountedStatuses(unit: UnitOfWork, user: User, code: string, statuses: SubmissionStatus[]): Promise<Programme> {
  const { clock } = unit;
  const wanted = [...new Set(statuses)].sort();
  if (!wanted.includes(SubmissionStatus.APPROVED) || wanted.includes(SubmissionStatus.RETURNED)) {
    throw new BadInputError('countedStatuses is [APPROVED] or [APPROVED, SUBMITTED]: an approved figure always counts, a returned one never', 'countedStatuses');
  }
  return unit.transaction(async (tx, outbox) => {
    const programme = await tx.findOne(Programme, { code }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!programme) throw new NotFoundError('Programme', code);
    assertMayWrite(user, programme, undefined, 'programme settings');
    const before = { countedStatuses: [...programme.countedStatuses] };
    programme.countedStatuses = wanted;
    audit(tx, user, clock.now(), { action: 'SET_PROGRAMME', entityType: 'Programme', entityId: programme.id, before, after: { countedStatuses: wanted } });
    await tx.flush();
    outbox.add({ type: 'ProgrammeChanged', programmeId: programme.id, payload: { countedStatuses: wanted } });
    return programme;
  });
}
