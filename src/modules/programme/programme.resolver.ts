import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../server/context';
import { NotFoundError } from '../../server/errors';
import { Department } from '../department/department.entity';
import { Indicator } from '../indicator/indicator.entity';
import { Programme } from './programme.entity';

@Authorized()
@Resolver(() => Programme)
export class ProgrammeResolver {
  @Query(() => [Programme], { description: 'Every programme, by code; of one year if given.' })
  programmes(@Arg('year', () => Int, { nullable: true }) year: number | undefined, @Ctx() ctx: Context): Promise<Programme[]> {
    return ctx.em.find(Programme, year === undefined ? {} : { year }, { orderBy: { code: 'asc' } });
  }

  @Query(() => Programme, { description: 'A programme by its code (P1 … P6); NOT_FOUND when there is none.' })
  async programme(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<Programme> {
    const programme = await ctx.em.findOne(Programme, { code });
    if (!programme) throw new NotFoundError('Programme', code);
    return programme;
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
