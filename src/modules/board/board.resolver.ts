import { Arg, Authorized, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../server/context';
import { NotFoundError } from '../../server/errors';
import { checkCursor, follow } from '../events/follow';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';
import { BoardEvent } from './board.types';

interface BoardArgs {
  programme: string;
  region: string;
  after?: string | null;
}

/** Close code for a subscriber whose queue passed its bound: reconnect with the last cursor. */
export const SLOW_CONSUMER_CLOSE = 4013;

@Authorized()
@Resolver()
export class BoardResolver {
  @Subscription(() => BoardEvent, {
    description: 'Every change to the progress (and targets) of a programme in the region or one of its children. '
      + 'after: first every event after that cursor, then the live stream, with no gap and no repeat.',
    subscribe: async ({ args, context }) => {
      const { programme: programmeCode, region: regionCode, after } = args as BoardArgs;
      const ctx = context as Context;
      const programme = await ctx.em.findOne(Programme, { code: programmeCode });
      if (!programme) throw new NotFoundError('Programme', programmeCode);
      const region = await ctx.em.findOne(Region, { code: regionCode });
      if (!region) throw new NotFoundError('Region', regionCode);
      const from = after == null ? undefined : await checkCursor(ctx.em, after);
      return follow(ctx.services.events, { programmeId: programme.id, regionOrChildOf: region.code }, from, {
        maxQueued: ctx.config.wsMaxQueuedEvents,
        onOverflow: () => ctx.closeConnection?.(SLOW_CONSUMER_CLOSE, 'Too slow: events piled up; reconnect with your last cursor'),
      });
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
