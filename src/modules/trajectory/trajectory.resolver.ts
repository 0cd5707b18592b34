import DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { DateScalar } from '../../common/scalars';
import { requireUser, type Context } from '../../core/context';
import { Target } from '../target/target.entity';
import { Trajectory } from './trajectory.entity';
import { SetTrajectoryInput } from './trajectory.input';
import { setTrajectory } from './trajectory.service';

/** Per request: the trajectory of targets as of a day (`${targetId}|${day}`), one statement per day asked. */
const loaders = new WeakMap<Context, DataLoader<string, Trajectory | null>>();
function trajectoryLoader(ctx: Context): DataLoader<string, Trajectory | null> {
  let loader = loaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (keys) => {
      const days = [...new Set(keys.map((k) => k.split('|')[1]))];
      const found = new Map<string, Trajectory>();
      for (const day of days) {
        const ids = keys.filter((k) => k.endsWith(`|${day}`)).map((k) => Number(k.split('|')[0]));
        const rows = await ctx.em.getConnection().execute<{ id: string }[]>(`
          select distinct on (target_id) id from trajectory
          where target_id = any(?::int[]) and set_at < ((?::date + 1)::timestamp at time zone ?) order by target_id, version desc`,
        [`{${ids.join(',')}}`, day, ctx.clock.timeZone]);
        const entities = await ctx.em.find(Trajectory, { id: { $in: rows.map((r) => r.id) } });
        for (const t of entities) found.set(`${t.target.id}|${day}`, t);
      }
      return keys.map((k) => found.get(k) ?? null);
    });
    loaders.set(ctx, loader);
  }
  return loader;
}

@Authorized()
@Resolver(() => Target)
export class TargetTrajectoryResolver {
  @FieldResolver(() => Trajectory, { nullable: true, description: 'The planned trajectory as it stood at the end of asOf (default today); null: time-proportional from the programme\'s start.' })
  trajectory(@Root() target: Target, @Arg('asOf', () => DateScalar, { nullable: true }) asOf: string | undefined, @Ctx() ctx: Context): Promise<Trajectory | null> {
    return trajectoryLoader(ctx).load(`${target.id}|${asOf ?? ctx.clock.today()}`);
  }

  @Mutation(() => Trajectory, { description: 'Plan a target\'s trajectory (a new version; older ones stay for time travel): ADMIN or the leading DEPARTMENT.' })
  setTrajectory(@Arg('input', () => SetTrajectoryInput) input: SetTrajectoryInput, @Ctx() ctx: Context): Promise<Trajectory> {
    return setTrajectory(ctx.work, requireUser(ctx), input);
  }
}
