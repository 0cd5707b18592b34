import { Arg, Authorized, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../server/context';
import { BadInputError, NotFoundError } from '../../server/errors';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';
import { BoardEvent, ProgressChanged } from './board.types';

interface BoardArgs {
  programme: string;
  region: string;
  after?: string;
}

@Authorized()
@Resolver()
export class BoardResolver {
  @Subscription(() => BoardEvent, {
    description: 'Every change to the progress of a programme in the region or one of its children.',
    subscribe: async ({ args, context }) => {
      const { programme: programmeCode, region: regionCode, after } = args as BoardArgs;
      const ctx = context as Context;
      const programme = await ctx.em.findOne(Programme, { code: programmeCode });
      if (!programme) throw new NotFoundError('Programme', programmeCode);
      const region = await ctx.em.findOne(Region, { code: regionCode });
      if (!region) throw new NotFoundError('Region', regionCode);
      if (after !== undefined && after !== null) {
        throw new BadInputError('This server keeps no event history yet: subscribe without after, and reload the board', 'after');
      }
      return filter(ctx.hub.events(), (event) =>
        event.programmeId === programme.id && event instanceof ProgressChanged
        && (event.region.code === region.code || event.region.parent?.code === region.code));
    },
  })
  boardEvents(
    @Root() event: BoardEvent,
    @Arg('programme', () => String) _programme: string,
    @Arg('region', () => String) _region: string,
    @Arg('after', () => String, { nullable: true }) _after?: string,
  ): BoardEvent {
    return event;
  }
}

async function* filter<T>(source: AsyncGenerator<T>, keep: (value: T) => boolean): AsyncGenerator<T> {
  try {
    for await (const value of source) if (keep(value)) yield value;
  } finally {
    await source.return(undefined);
  }
}
