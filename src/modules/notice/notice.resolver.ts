import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import { requireUser, type Context } from '../../core/context';
import { NotFoundError } from '../../core/errors';
import { Indicator } from '../indicator/indicator.entity';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';
import { Target } from '../target/target.entity';
import { Urge } from '../urge/urge.entity';
import { assertMayRead } from '../user/user.scope';
import { Notice, NoticeColour, NoticeState, NoticeStep } from './notice.entity';
import { DEFAULT_RULES, NoticeRules } from './notice-rules.entity';
import { DecideExtensionInput, NoticeStepInput, RequestExtensionInput, ReviewCompletionInput, SetNoticeRulesInput } from './notice.input';
import { acknowledge, complete, decideExtension, requestExtension, reviewCompletion, setNoticeRules } from './notice.service';


@Authorized()
@Resolver(() => Notice)
export class NoticeResolver {
  @Query(() => [Notice], { description: 'Supervision notices (督办单) of a programme in a region and below, newest first; open ones unless open is false.' })
  async notices(
    @Arg('programme', () => String) programmeCode: string,
    @Arg('region', () => String) regionCode: string,
    @Arg('colour', () => NoticeColour, { nullable: true }) colour: NoticeColour | undefined,
    @Arg('state', () => NoticeState, { nullable: true }) state: NoticeState | undefined,
    @Arg('open', () => Boolean, { defaultValue: true }) open: boolean,
    @Ctx() ctx: Context,
  ): Promise<Notice[]> {
    const region = await ctx.loaders.region.byCode.load(regionCode);
    if (!region) throw new NotFoundError('Region', regionCode);
    assertMayRead(ctx, region, programmeCode);
    const programme = await ctx.em.findOne(Programme, { code: programmeCode });
    if (!programme) throw new NotFoundError('Programme', programmeCode);
    const where: FilterQuery<Notice> = { indicator: { programme }, region: { path: { $like: `${region.path}%` } } };
    if (open) where.closedAt = null;
    if (colour) where.colour = colour;
    if (state) where.state = state;
    return ctx.em.find(Notice, where, { orderBy: { id: 'desc' }, limit: 500 });
  }

  @Query(() => Notice, { description: 'A notice by id.' })
  async notice(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Notice> {
    const notice = /^\d{1,18}$/.test(id) ? await ctx.em.findOne(Notice, { id }, { populate: ['indicator.programme', 'region'] }) : null;
    if (!notice) throw new NotFoundError('Notice', id);
    assertMayRead(ctx, notice.region, notice.indicator.programme.code);
    return notice;
  }


  @Mutation(() => Notice, { description: 'Acknowledge a notice (签收): ISSUED → ACKNOWLEDGED. The region\'s REPORTER (or ADMIN).' })
  acknowledgeNotice(@Arg('input', () => NoticeStepInput) input: NoticeStepInput, @Ctx() ctx: Context): Promise<Notice> {
    return acknowledge(ctx.work, requireUser(ctx), input.notice, input.note);
  }

  @Mutation(() => Notice, { description: 'Ask for a later deadline (申请延期) → EXTENSION_REQUESTED. The region\'s REPORTER (or ADMIN).' })
  requestNoticeExtension(@Arg('input', () => RequestExtensionInput) input: RequestExtensionInput, @Ctx() ctx: Context): Promise<Notice> {
    return requestExtension(ctx.work, requireUser(ctx), input);
  }

  @Mutation(() => Notice, { description: 'Grant or refuse an extension → EXTENSION_GRANTED (the notice judges by the new deadline; the target keeps its own) or EXTENSION_REFUSED. The leading DEPARTMENT (or ADMIN).' })
  decideNoticeExtension(@Arg('input', () => DecideExtensionInput) input: DecideExtensionInput, @Ctx() ctx: Context): Promise<Notice> {
    return decideExtension(ctx.work, requireUser(ctx), input);
  }

  @Mutation(() => Notice, { description: 'Report a notice done (办结) once the figure meets the target → COMPLETED. The region\'s REPORTER (or ADMIN); the rules also complete it by themselves.' })
  completeNotice(@Arg('input', () => NoticeStepInput) input: NoticeStepInput, @Ctx() ctx: Context): Promise<Notice> {
    return complete(ctx.work, requireUser(ctx), input.notice, input.note);
  }

  @Mutation(() => Notice, { description: 'Accept a completed notice (验收) → ACCEPTED (closed), or return it → RETURNED. The leading DEPARTMENT (or ADMIN).' })
  reviewNoticeCompletion(@Arg('input', () => ReviewCompletionInput) input: ReviewCompletionInput, @Ctx() ctx: Context): Promise<Notice> {
    return reviewCompletion(ctx.work, requireUser(ctx), input);
  }

  @FieldResolver(() => Indicator)
  indicator(@Root() n: Notice, @Ctx() ctx: Context): Promise<Indicator> {
    return ctx.loaders.ensure(n.indicator);
  }

  @FieldResolver(() => Region)
  region(@Root() n: Notice, @Ctx() ctx: Context): Promise<Region> {
    return ctx.loaders.ensure(n.region);
  }

  @FieldResolver(() => Target)
  target(@Root() n: Notice, @Ctx() ctx: Context): Promise<Target> {
    return ctx.loaders.ensure(n.target);
  }

  @FieldResolver(() => [NoticeStep], { description: 'Its history, oldest first.' })
  history(@Root() n: Notice, @Ctx() ctx: Context): Promise<NoticeStep[]> {
    return ctx.em.find(NoticeStep, { notice: n.id }, { orderBy: { id: 'asc' }, populate: ['actor'] });
  }

  @FieldResolver(() => [Urge], { description: 'Its reminders: the urges (催办) made for the indicator in the region since it was issued.' })
  reminders(@Root() n: Notice, @Ctx() ctx: Context): Promise<Urge[]> {
    return ctx.em.find(Urge, { indicator: n.indicator, region: n.region, createdAt: { $gte: n.issuedAt } }, { orderBy: { id: 'asc' } });
  }
}

@Authorized()
@Resolver(() => Programme)
export class ProgrammeNoticeRulesResolver {
  @FieldResolver(() => NoticeRules, { description: 'When its supervision notices are issued and escalated (the defaults until set).' })
  async noticeRules(@Root() programme: Programme, @Ctx() ctx: Context): Promise<NoticeRules> {
    return (await ctx.em.findOne(NoticeRules, { programme })) ?? Object.assign(new NoticeRules(), DEFAULT_RULES, { version: 0 });
  }

  @Mutation(() => NoticeRules, { description: 'Set a programme\'s notice rules: ADMIN or the leading DEPARTMENT. Its notices are judged again.' })
  async setNoticeRules(@Arg('input', () => SetNoticeRulesInput) input: SetNoticeRulesInput, @Ctx() ctx: Context): Promise<NoticeRules> {
    return setNoticeRules(ctx.work, requireUser(ctx), input);
  }
}
