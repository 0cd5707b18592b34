import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireUser, type Context } from '../../core/context';
import { NotFoundError } from '../../core/errors';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { User } from '../user/user.entity';
import { assertMayRead } from '../user/user.scope';
import { Comment } from './comment.entity';
import { AddCommentInput } from './comment.input';
import { addComment } from './comment.service';
import { localKey } from '../../common/node';

@Authorized()
@Resolver(() => Comment)
export class CommentResolver {
  @Mutation(() => Comment, { description: 'Comment (批示) on an indicator in a region, or on a submission of it.' })
  async addComment(@Arg('input', () => AddCommentInput) input: AddCommentInput, @Ctx() ctx: Context): Promise<Comment> {
    return addComment(ctx.work, requireUser(ctx), input.submission == null ? input : { ...input, submission: localKey('Submission', input.submission) });
  }

  @Query(() => [Comment], { description: 'The comments on an indicator in a region, newest first.' })
  async comments(
    @Arg('indicator', () => String) indicator: string,
    @Arg('region', () => String) region: string,
    @Arg('last', () => Int, { defaultValue: 50 }) last: number,
    @Ctx() ctx: Context,
  ): Promise<Comment[]> {
    const found = await ctx.em.findOne(Indicator, { code: indicator }, { populate: ['programme'] });
    if (!found) throw new NotFoundError('Indicator', indicator);
    const where = await ctx.loaders.region.byCode.load(region);
    if (!where) throw new NotFoundError('Region', region);
    assertMayRead(ctx, where, found.programme.code);
    return ctx.em.find(Comment, { indicator: found, region: { code: region } }, { orderBy: { id: 'desc' }, limit: Math.min(Math.max(last, 0), 500) });
  }

  @FieldResolver(() => Indicator)
  indicator(@Root() c: Comment, @Ctx() ctx: Context): Promise<Indicator> {
    return ctx.loaders.ensure(c.indicator);
  }

  @FieldResolver(() => Region)
  region(@Root() c: Comment, @Ctx() ctx: Context): Promise<Region> {
    return ctx.loaders.ensure(c.region);
  }

  @FieldResolver(() => User)
  author(@Root() c: Comment, @Ctx() ctx: Context): Promise<User> {
    return ctx.loaders.ensure(c.author);
  }
}
