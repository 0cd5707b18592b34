import { Arg, Authorized, Ctx, Field, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { requireRole, requireUser, type Context } from '../../core/context';
import { Department } from '../department/department.entity';
import { Region } from '../region/region.entity';
import { login } from './login.service';
import { AuthSession, SessionKind } from './session.entity';
import { Role, User } from './user.entity';
import { CreateScreenTokenInput, CreateUserInput, UpdateUserInput } from './user.input';
import { createScreenToken, createUser, revokeSession, updateUser } from './user.service';
import { localKey } from '../../common/node';

@ObjectType()
export class LoginPayload {
  @Field({ description: 'Send as Authorization: Bearer <token>; it expires, and logout revokes it.' })
  token!: string;

  @Field(() => User)
  user!: User;
}

@ObjectType()
export class ScreenTokenPayload {
  @Field({ description: 'Shown once: the screen sends it as Authorization: Bearer <token>.' })
  token!: string;

  @Field(() => AuthSession)
  session!: AuthSession;
}

@Resolver(() => User)
export class AuthResolver {
  @Mutation(() => LoginPayload, {
    description: 'Sign in. Wrong credentials: UNAUTHENTICATED, the same whether the user exists or not. '
      + 'Too many failures for a username or from an address: RATE_LIMITED for a while.',
  })
  async login(@Arg('username', () => String) username: string, @Arg('password', () => String) password: string, @Ctx() ctx: Context): Promise<LoginPayload> {
    const { token, session } = await login(ctx.em, ctx.config, username, password, ctx.clientAddress ?? 'unknown');
    return { token, user: session.user as User };
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Sign out: this token stops working at once, on every instance.' })
  async logout(@Ctx() ctx: Context): Promise<boolean> {
    const user = requireUser(ctx);
    if (ctx.session) ctx.services.events.announce((await revokeSession(ctx.em, ctx.clock, user, ctx.session.id)).lastSeq);
    return true;
  }

  @Authorized()
  @Query(() => User, { description: 'The signed-in user.' })
  me(@Ctx() ctx: Context): User {
    return requireUser(ctx);
  }

  @Authorized()
  @Query(() => [User], { description: 'Every account, by username: ADMIN.' })
  users(@Ctx() ctx: Context): Promise<User[]> {
    requireRole(ctx, Role.ADMIN);
    return ctx.em.find(User, {}, { orderBy: { username: 'asc' } });
  }

  @Authorized()
  @Mutation(() => User, { description: 'Create an account: ADMIN. A taken username: CONFLICT.' })
  createUser(@Arg('input', () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: Context): Promise<User> {
    return createUser(ctx.em, ctx.clock, requireRole(ctx, Role.ADMIN), input);
  }

  @Authorized()
  @Mutation(() => User, { description: 'Change an account\'s role, scope or password, or disable it: ADMIN.' })
  async updateUser(@Arg('input', () => UpdateUserInput) input: UpdateUserInput, @Ctx() ctx: Context): Promise<User> {
    const { user, lastSeq } = await updateUser(ctx.em, ctx.clock, requireRole(ctx, Role.ADMIN), Object.assign(input, { id: localKey('User', input.id) }), ctx.session?.id);
    ctx.services.events.announce(lastSeq);
    return user;
  }

  @Authorized()
  @Mutation(() => ScreenTokenPayload, { description: 'A long-lived, read-only token for a meeting-room screen, limited to its boards: ADMIN.' })
  async createScreenToken(@Arg('input', () => CreateScreenTokenInput) input: CreateScreenTokenInput, @Ctx() ctx: Context): Promise<ScreenTokenPayload> {
    return createScreenToken(ctx.em, ctx.clock, ctx.config, requireRole(ctx, Role.ADMIN), input);
  }

  @Authorized()
  @Mutation(() => AuthSession, { description: 'Revoke a screen token or a session: ADMIN. It stops working at once.' })
  async revokeToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<AuthSession> {
    const { session, lastSeq } = await revokeSession(ctx.em, ctx.clock, requireRole(ctx, Role.ADMIN), localKey('Session', id));
    ctx.services.events.announce(lastSeq);
    return session;
  }

  @Authorized()
  @Query(() => [AuthSession], { description: 'Screen tokens, newest first, revoked ones included: ADMIN.' })
  screenTokens(@Ctx() ctx: Context): Promise<AuthSession[]> {
    requireRole(ctx, Role.ADMIN);
    return ctx.em.find(AuthSession, { kind: SessionKind.SCREEN }, { orderBy: { createdAt: 'desc' }, populate: ['user', 'createdBy'] });
  }

  @FieldResolver(() => Region, { nullable: true, description: 'The subtree this user acts in; null for the whole tree.' })
  async region(@Root() user: User, @Ctx() ctx: Context): Promise<Region | null> {
    return user.region ? ctx.loaders.ensure(user.region) : null;
  }

  @FieldResolver(() => Department, { nullable: true })
  async department(@Root() user: User, @Ctx() ctx: Context): Promise<Department | null> {
    return user.department ? ctx.loaders.ensure(user.department) : null;
  }
}
