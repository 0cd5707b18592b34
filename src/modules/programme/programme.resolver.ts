import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireUser, type Context } from '../../core/context';
import { NotFoundError } from '../../core/errors';
import { Department } from '../department/department.entity';
import { Indicator } from '../indicator/indicator.entity';
import { SubmissionStatus } from '../submission/submission.entity';
import { assertMayRead, mayRead } from '../user/user.scope';
import { Programme } from './programme.entity';
import { setCountedStatuses } from './programme.service';

@Authorized()
@Resolver(() => Programme)
export class ProgrammeResolver {
  @Query(() => [Programme], { description: 'Every programme, by code; of one year if given.' })
  async programmes(@Arg('year', () => Int, { nullable: true }) year: number | undefined, @Ctx() ctx: Context): Promise<Programme[]> {
    const all = await ctx.em.find(Programme, year === undefined ? {} : { year }, { orderBy: { code: 'asc' } });
    return all.filter((p) => mayRead(ctx, undefined, p.code));
  }

  @Query(() => Programme, { description: 'A programme by its code (P1 … P6); NOT_FOUND when there is none.' })
  async programme(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<Programme> {
    const programme = await ctx.em.findOne(Programme, { code });
    if (!programme) throw new NotFoundError('Programme', code);
    assertMayRead(ctx, undefined, code);
    return programme;
  }

  @Mutation(() => Programme, { description: 'Which review statuses count on the boards: [APPROVED, SUBMITTED] (default) or [APPROVED]. ADMIN or the leading DEPARTMENT.' })
  async setCountedStatuses(
    @Arg('programme', () => String) code: string,
    @Arg('countedStatuses', () => [SubmissionStatus]) statuses: SubmissionStatus[],
    @Ctx() ctx: Context,
  ): Promise<Programme> {
    return setCountedStatuses(ctx.work, requireUser(ctx), code, statuses);
  }

  @FieldResolver(() => Department)
  lead(@Root() programme: Programme, @Ctx() ctx: Context): Promise<Department> {
    return ctx.loaders.ensure(programme.lead);
  }

  @FieldResolver(() => [Indicator], { description: 'In the order of the report.' })
  indicators(@Root() programme: Programme, @Ctx() ctx: Context): Promise<Indicator[]> {
    return ctx.loaders.indicatorsByProgramme.load(programme.id);
  }
}
