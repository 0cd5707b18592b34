import type { FilterQuery } from '@mikro-orm/core';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs, decodeIdCursor, toConnection } from '../../common/connection';
import { listScopePath } from '../user/user.scope';
import { requireUser, type Context } from '../../core/context';
import { BadInputError, NotFoundError } from '../../core/errors';
import { Indicator } from '../indicator/indicator.entity';
import { Progress } from '../progress/progress.types';
import { Region } from '../region/region.entity';
import { User } from '../user/user.entity';
import { Submission } from './submission.entity';
import { SubmissionFilter, SubmitFigureInput } from './submission.input';
import { submitFigure } from './submission.service';
import { MAX_FIGURES_PER_CALL, submitFigures } from './submission.bulk';
import { ReviewSubmissionInput } from './review.input';
import { reviewSubmission } from './review.service';
import { localKey } from '../../common/node';

@ObjectType()
export class SubmissionConnection extends Connection(Submission) {}

@ObjectType()
export class SubmitFigurePayload {
  @Field(() => Submission)
  submission!: Submission;

}

@ObjectType({ description: 'What submitFigures wrote.' })
export class SubmitFiguresPayload {
  @Field(() => Int, { description: 'Submissions created: one per figure, less those whose idempotencyKey returned an earlier one.' })
  count!: number;

  /** Per figure of the input, its submission's key. */
  ids!: string[];
}

/** The submissions of a bulk answer are read only when the client asks for them, in one query. */
@Resolver(() => SubmitFiguresPayload)
export class SubmitFiguresPayloadResolver {
  @FieldResolver(() => [Submission], { description: 'The submissions, in the order of the input (for a replayed idempotencyKey, the earlier one).' })
  async submissions(@Root() { ids }: SubmitFiguresPayload, @Ctx() ctx: Context): Promise<Submission[]> {
    const rows = await ctx.em.find(Submission, { id: { $in: [...new Set(ids)] } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id)!);
  }
}

/** The progress in a submission's answer is computed only when the client asks for it. */
@Resolver(() => SubmitFigurePayload)
export class SubmitFigurePayloadResolver {
  @FieldResolver(() => Progress, { description: 'The region\'s progress on this indicator as of the figure\'s day, this figure included.' })
  progress(@Root() { submission }: SubmitFigurePayload, @Ctx() ctx: Context): Promise<Progress> {
    return ctx.loaders.progress.load({ indicatorId: submission.indicator.id, regionCode: submission.region.code, asOf: submission.asOf });
  }
}

@Authorized()
@Resolver(() => Submission)
export class SubmissionResolver {
  @Mutation(() => SubmitFigurePayload, { description: 'Report a figure; see SubmitFigureInput.' })
  async submitFigure(@Arg('input', () => SubmitFigureInput) input: SubmitFigureInput, @Ctx() ctx: Context): Promise<SubmitFigurePayload> {
    const user = requireUser(ctx);
    const { submission } = await submitFigure(ctx.work, user, input);
    return { submission };
  }

  @Mutation(() => SubmitFiguresPayload, {
    description: `Report many figures at once (at most ${MAX_FIGURES_PER_CALL}), all or nothing: each is checked and permitted as submitFigure would, `
      + 'and one refused refuses the call (FORBIDDEN, else BAD_USER_INPUT, with `fields` and `rows` naming each one) and writes nothing. '
      + 'Two figures for the same indicator, region and asOf in one call are refused; boards move once per region.',
  })
  async submitFigures(@Arg('input', () => [SubmitFigureInput]) input: SubmitFigureInput[], @Ctx() ctx: Context): Promise<SubmitFiguresPayload> {
    const user = requireUser(ctx);
    const { ids, created } = await submitFigures(ctx.work, user, input);
    return Object.assign(new SubmitFiguresPayload(), { count: created, ids });
  }

  @Mutation(() => Submission, { description: 'Approve or return a submitted figure: ADMIN, or the DEPARTMENT that leads its programme.' })
  async reviewSubmission(@Arg('input', () => ReviewSubmissionInput) input: ReviewSubmissionInput, @Ctx() ctx: Context): Promise<Submission> {
    return reviewSubmission(ctx.work, requireUser(ctx), { ...input, submission: localKey('Submission', input.submission) });
  }

  @Query(() => SubmissionConnection, { description: 'Submissions, newest first.' })
  async submissions(
    @Arg('filter', () => SubmissionFilter, { nullable: true }) filter: SubmissionFilter | undefined,
    @Args() { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<SubmissionConnection> {
    const where: FilterQuery<Submission> = {};
    const f = filter ?? {};
    if (f.indicator) where.indicator = { code: f.indicator };
    if (f.programme) where.indicator = { ...(where.indicator as object), programme: { code: f.programme } };
    const root = f.region ? await ctx.loaders.region.byCode.load(f.region) : undefined;
    if (f.region && !root) throw new NotFoundError('Region', f.region);
    const path = listScopePath(ctx, root ?? undefined, f.programme ?? undefined);
    if (path) where.region = { path: { $like: `${path}%` } };
    if (f.status) where.status = f.status;
    if (f.from && f.to && f.from > f.to) throw new BadInputError('from is after to', 'from');
    if (f.from || f.to) where.asOf = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lte: f.to } : {}) };
    const totalCount = await ctx.em.count(Submission, where);
    const page: FilterQuery<Submission> = after == null ? where : { $and: [where, { id: { $lt: decodeIdCursor(after) } }] };
    const rows = await ctx.em.find(Submission, page, { orderBy: { id: 'desc' }, limit: first + 1 });
    return toConnection(rows, first, totalCount, (s) => s.id, after) as SubmissionConnection;
  }

  @FieldResolver(() => Indicator)
  indicator(@Root() s: Submission, @Ctx() ctx: Context): Promise<Indicator> {
    return ctx.loaders.ensure(s.indicator);
  }

  @FieldResolver(() => Region)
  region(@Root() s: Submission, @Ctx() ctx: Context): Promise<Region> {
    return ctx.loaders.ensure(s.region);
  }

  @FieldResolver(() => User, { nullable: true })
  async reviewedBy(@Root() s: Submission, @Ctx() ctx: Context): Promise<User | null> {
    return s.reviewedBy ? ctx.loaders.ensure(s.reviewedBy) : null;
  }

  @FieldResolver(() => User)
  submittedBy(@Root() s: Submission, @Ctx() ctx: Context): Promise<User> {
    return ctx.loaders.ensure(s.submittedBy);
  }
}
