import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import type { Config } from '../../config';
import { BadInputError, ConflictError, NotFoundError } from '../../core/errors';
import { audit, snapshot } from '../audit/audit.service';
import { Department } from '../department/department.entity';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';
import { hashPassword } from './password';
import { AuthSession, SessionKind } from './session.entity';
import { openSession, type Signed } from './session.service';
import { Role, User } from './user.entity';
import type { CreateScreenTokenInput, CreateUserInput, UpdateUserInput } from './user.input';
import { appendSessionChanged } from './session-events';

const USER_FIELDS = ['username', 'role', 'region', 'department', 'disabledAt'] as const;
const TOKEN_FIELDS = ['kind', 'name', 'boards', 'expiresAt', 'revokedAt'] as const;

async function regionOf(em: EntityManager, code: string | undefined): Promise<Region | undefined> {
  if (!code) return undefined;
  const region = await em.findOne(Region, { code });
  if (!region) throw new NotFoundError('Region', code);
  return region;
}

async function departmentOf(em: EntityManager, name: string | undefined): Promise<Department | undefined> {
  if (!name) return undefined;
  const department = await em.findOne(Department, { name });
  if (!department) throw new NotFoundError('Department', name);
  return department;
}

function checkRoleShape(role: Role, region: Region | undefined, department: Department | undefined): void {
  if (role === Role.REPORTER && !region) throw new BadInputError('A REPORTER needs a region', 'region');
  if (role === Role.DEPARTMENT && !department) throw new BadInputError('A DEPARTMENT user needs a department', 'department');
  if (role !== Role.DEPARTMENT && department) throw new BadInputError(`Only DEPARTMENT users belong to a department, not ${role}`, 'department');
}

/** Creates an account (ADMIN's, checked by the caller); audited. `actor` is undefined from the command line. */
export async function createUser(em: EntityManager, clock: Clock, actor: User | undefined, input: CreateUserInput): Promise<User> {
  const region = await regionOf(em, input.region);
  const department = await departmentOf(em, input.department);
  checkRoleShape(input.role, region, department);
  const passwordHash = await hashPassword(input.password);
  try {
    return await em.transactional(async (tx) => {
      const user = tx.create(User, { username: input.username, passwordHash, role: input.role, region, department });
      await tx.flush();
      audit(tx, actor, clock.now(), { action: 'CREATE_USER', entityType: 'User', entityId: user.id, after: snapshot(user, USER_FIELDS) });
      await tx.flush();
      return user;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new ConflictError(`The username "${input.username}" is taken`);
    throw error;
  }
}

/**
 * Changes an account's role, scope, password or state. Any change to what the account may do is
 * told to every instance (its open sockets are rechecked); a new password ends every session of
 * the account but the one making the change. Returns the sequence to announce after the commit.
 */
export async function updateUser(em: EntityManager, clock: Clock, actor: User, input: UpdateUserInput, actorSessionId?: string): Promise<{ user: User; lastSeq?: string }> {
  if (!/^\d{1,9}$/.test(input.id)) throw new NotFoundError('User', input.id);
  const region = input.region === undefined ? undefined : await regionOf(em, input.region || undefined);
  const department = input.department === undefined ? undefined : await departmentOf(em, input.department || undefined);
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return em.transactional(async (tx) => {
    const user = await tx.findOne(User, { id: Number(input.id) }, { populate: ['region', 'department'] });
    if (!user) throw new NotFoundError('User', input.id);
    if (user.id === actor.id && (input.disabled || (input.role && input.role !== Role.ADMIN))) {
      throw new BadInputError('You cannot disable yourself or give up your own ADMIN role', input.disabled ? 'disabled' : 'role');
    }
    const before = snapshot(user, USER_FIELDS);
    const role = input.role ?? user.role;
    const nextRegion = input.region === undefined ? user.region : region;
    const nextDepartment = input.department === undefined ? (role === Role.DEPARTMENT ? user.department : undefined) : department;
    checkRoleShape(role, nextRegion ?? undefined, nextDepartment ?? undefined);
    tx.assign(user, { role, region: nextRegion ?? null, department: nextDepartment ?? null } as never);
    if (passwordHash) user.passwordHash = passwordHash;
    // null, not undefined, so that enabling again clears the column.
    if (input.disabled !== undefined) tx.assign(user, { disabledAt: input.disabled ? (user.disabledAt ?? clock.now()) : null } as never);
    const after = snapshot(user, USER_FIELDS);
    audit(tx, actor, clock.now(), {
      action: 'UPDATE_USER', entityType: 'User', entityId: user.id, before,
      after: { ...after, ...(passwordHash ? { passwordChanged: true } : {}) },
    });
    await tx.flush();
    if (passwordHash) {
      // A new password ends the account's other sessions: whoever knew the old one is out.
      await tx.nativeUpdate(AuthSession, { user: user.id, revokedAt: null, ...(actorSessionId ? { id: { $ne: actorSessionId } } : {}) }, { revokedAt: new Date() });
    }
    const changed = passwordHash !== undefined || JSON.stringify(before) !== JSON.stringify(after);
    const lastSeq = changed ? await appendSessionChanged(tx, { userId: user.id }, clock.now()) : undefined;
    return { user, lastSeq };
  });
}

/**
 * A long-lived, read-only token for a meeting-room screen, limited to its boards. It acts as a
 * VIEWER account of its own, named for the screen, so watchers show the room's name.
 */
export async function createScreenToken(em: EntityManager, clock: Clock, config: Config, actor: User, input: CreateScreenTokenInput): Promise<Signed> {
  const name = input.name.trim();
  if (!name) throw new BadInputError('name is empty', 'name');
  for (const [i, board] of input.boards.entries()) {
    if (!(await em.findOne(Programme, { code: board.programme }))) throw new NotFoundError('Programme', board.programme);
    if (!(await em.findOne(Region, { code: board.region }))) throw new NotFoundError('Region', board.region);
    if (input.boards.findIndex((b) => b.programme === board.programme && b.region === board.region) !== i) {
      throw new BadInputError(`The board ${board.programme} at ${board.region} is listed twice`, 'boards');
    }
  }
  const username = `screen:${name}`.slice(0, 64);
  try {
    return await em.transactional(async (tx) => {
      // A screen named again (after its token was revoked, say) keeps its account.
      let screen = await tx.findOne(User, { username });
      if (screen && (screen.role !== Role.VIEWER || screen.region)) throw new ConflictError(`"${username}" is an account, not a screen`);
      if (!screen) {
        screen = tx.create(User, { username, passwordHash: '!', role: Role.VIEWER });
        await tx.flush();
      }
      const boards = input.boards.map((b) => ({ programme: b.programme, region: b.region }));
      const signed = openSession(tx, config, screen, SessionKind.SCREEN, input.days * 86_400, { name, boards, createdBy: actor });
      await tx.flush();
      audit(tx, actor, clock.now(), { action: 'CREATE_TOKEN', entityType: 'Token', entityId: signed.session.id, after: snapshot(signed.session, TOKEN_FIELDS) });
      await tx.flush();
      return signed;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new ConflictError(`A screen named "${name}" was being created at the same time; try again`);
    throw error;
  }
}

/** Ends a session or screen token at once, on every instance (its sockets too). Revoking twice is harmless. */
export async function revokeSession(em: EntityManager, clock: Clock, actor: User, id: string): Promise<{ session: AuthSession; lastSeq?: string }> {
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new NotFoundError('Session', id);
  return em.transactional(async (tx) => {
    const session = await tx.findOne(AuthSession, { id });
    if (!session) throw new NotFoundError('Session', id);
    if (session.revokedAt) return { session };
    const before = snapshot(session, TOKEN_FIELDS);
    session.revokedAt = new Date();
    audit(tx, actor, clock.now(), { action: 'REVOKE_TOKEN', entityType: 'Token', entityId: session.id, before, after: snapshot(session, TOKEN_FIELDS) });
    await tx.flush();
    const lastSeq = await appendSessionChanged(tx, { userId: session.user.id, sessionId: session.id }, clock.now());
    return { session, lastSeq };
  });
}
