import { Arg, Authorized, Ctx, Field, FieldResolver, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { requireUser, type Context } from '../../server/context';
import { UnauthenticatedError } from '../../server/errors';
import { Department } from '../department/department.entity';
import { Region } from '../region/region.entity';
import { dummyHash, verifyPassword } from './password';
import { signToken } from './token';
import { User } from './user.entity';

@ObjectType()
export class LoginPayload {
  @Field({ description: 'Send as Authorization: Bearer <token>; it expires.' })
  token!: string;

  @Field(() => User)
  user!: User;
}

const WRONG = 'Wrong username or password';

@Resolver(() => User)
export class AuthResolver {
  @Mutation(() => LoginPayload, { description: 'Sign in. Wrong credentials: UNAUTHENTICATED, the same whether the user exists or not.' })
  async login(@Arg('username', () => String) username: string, @Arg('password', () => String) password: string, @Ctx() ctx: Context): Promise<LoginPayload> {
    const user = await ctx.em.findOne(User, { username: username.trim() }, { populate: ['passwordHash'] });
    // Verify against a dummy hash when there is no such user, so both answers take as long.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !ok) throw new UnauthenticatedError(WRONG);
    return { token: signToken(user.id, ctx.config.jwtSecret, ctx.config.jwtTtlSeconds), user };
  }

  @Authorized()
  @Query(() => User, { description: 'The signed-in user.' })
  me(@Ctx() ctx: Context): User {
    return requireUser(ctx);
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
