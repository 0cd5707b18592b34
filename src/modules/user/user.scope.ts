import { ForbiddenError } from '../../core/errors';
import type { Programme } from '../programme/programme.entity';
import type { Region } from '../region/region.entity';
import type { AuthSession } from './session.entity';
import { Role, type User } from './user.entity';

/** What the checks read of a region: a loaded entity, or the same columns read without one. */
export type RegionRef = Pick<Region, 'code' | 'name' | 'path'>;

/** Whether `region` lies in the user's region scope (its own subtree); no scope means the whole tree. */
export function inScope(user: User, region: RegionRef): boolean {
  return !user.region || region.path.startsWith(user.region.path);
}

export type WriteKind = 'figures' | 'targets' | 'reviews' | 'indicators' | 'programme settings' | 'urges';

/** Whether the user's department leads the programme. */
function leads(user: User, programme: Programme): boolean {
  return Boolean(user.department && programme.lead.id === user.department.id);
}

/**
 * Who may write what of a programme for a region: ADMIN anywhere; DEPARTMENT figures, targets,
 * reviews, indicators, settings and urges of the programmes it leads; LEADER urges anywhere;
 * REPORTER figures inside its region scope; VIEWER nothing.
 */
export function assertMayWrite(user: User, programme: Programme, region: Pick<Region, 'code' | 'name' | 'path'> | undefined, what: WriteKind): void {
  switch (user.role) {
    case Role.ADMIN:
      return;
    case Role.LEADER:
      if (what === 'urges') return;
      throw new ForbiddenError(`A LEADER instructs and urges; ${what} are the departments'`);
    case Role.DEPARTMENT:
      if (leads(user, programme)) return;
      throw new ForbiddenError(`Your department does not lead ${programme.code}; it cannot write its ${what}`);
    case Role.REPORTER:
      if (what !== 'figures') throw new ForbiddenError(`Reporters enter figures; ${what} are the city's`);
      if (region && inScope(user, region)) return;
      throw new ForbiddenError(`${region ? `${region.name} (${region.code})` : 'That'} is outside your region ${user.region?.name ?? ''}`.trim());
    default:
      throw new ForbiddenError(`A ${user.role} reads; it cannot write ${what}`);
  }
}

interface Caller {
  user?: User;
  session?: AuthSession;
}

/** Whether a screen token's boards cover the programme (if given) at the region. */
function onBoards(session: AuthSession | undefined, region: RegionRef | undefined, programme: string | undefined): boolean {
  const boards = session?.boards;
  if (!boards) return true;
  return boards.some((b) => (programme === undefined || b.programme === programme)
    && (region === undefined || region.path.split('/').includes(b.region)));
}

/**
 * Whether the caller may read figures (progress, submissions, targets, comments, urges, events) of
 * a region, of one programme if given: a region scope limits reads to that subtree, a screen token
 * to its boards. Region names and codes are public; figures are not.
 */
export function mayRead(caller: Caller, region?: RegionRef, programme?: string): boolean {
  const { user, session } = caller;
  if (!user) return false;
  if (region && !inScope(user, region)) return false;
  return onBoards(session, region, programme);
}

export function assertMayRead(caller: Caller, region?: RegionRef, programme?: string): void {
  if (mayRead(caller, region, programme)) return;
  const where = region ? `${region.name} (${region.code})` : '';
  throw new ForbiddenError(caller.session?.boards
    ? `This screen token shows only its boards; not ${[programme, where].filter(Boolean).join(' at ')}`
    : `${where} is outside your region ${caller.user?.region?.name ?? ''}`.trim());
}

/** A key that is the same for every caller who may read the same things (for shared caches). */
export function readScopeKey(caller: Caller): string {
  const region = caller.user?.region?.path ?? '*';
  const boards = caller.session?.boards;
  return boards ? `${region}|${boards.map((b) => `${b.programme}@${b.region}`).join(',')}` : region;
}

/**
 * The subtree a list (submissions, targets) is limited to: the region the filter names, which the
 * caller must be allowed to read, else the caller's own region scope (undefined: the whole tree).
 * A screen token lists only inside its boards, so it must name both.
 */
export function listScopePath(caller: Caller, filterRegion: Region | undefined, programme: string | undefined): string | undefined {
  if (caller.session?.boards && (!filterRegion || !programme)) {
    throw new ForbiddenError('A screen token lists only inside its boards: filter by programme and region');
  }
  if (filterRegion) {
    assertMayRead(caller, filterRegion, programme);
    return filterRegion.path;
  }
  return caller.user?.region?.path;
}
