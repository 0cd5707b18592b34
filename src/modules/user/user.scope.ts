import { ForbiddenError } from '../../server/errors';
import type { Programme } from '../programme/programme.entity';
import type { Region } from '../region/region.entity';
import { Role, type User } from './user.entity';

/** Whether `region` lies in the user's region scope (its own subtree); no scope means the whole tree. */
export function inScope(user: User, region: Region): boolean {
  return !user.region || region.path.startsWith(user.region.path);
}

/**
 * Who may write figures, targets and reviews of a programme for a region: ADMIN anywhere;
 * DEPARTMENT for the programmes it leads; REPORTER figures inside its region scope; VIEWER never.
 */
export function assertMayWrite(user: User, programme: Programme, region: Region, what: 'figures' | 'targets' | 'reviews'): void {
  switch (user.role) {
    case Role.ADMIN:
      return;
    case Role.DEPARTMENT:
      if (user.department && programme.lead.id === user.department.id) return;
      throw new ForbiddenError(`Your department does not lead ${programme.code}; it cannot write its ${what}`);
    case Role.REPORTER:
      if (what !== 'figures') throw new ForbiddenError(`Reporters enter figures; ${what} are the city's`);
      if (inScope(user, region)) return;
      throw new ForbiddenError(`${region.name} (${region.code}) is outside your region ${user.region?.name ?? ''}`.trim());
    default:
      throw new ForbiddenError(`A ${user.role} reads; it cannot write ${what}`);
  }
}
