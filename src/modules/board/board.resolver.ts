import { Arg, Authorized, Ctx, Query, Resolver, Root, Subscription } from 'type-graphql';
import { requireUser, type Context } from '../../core/context';
import { NotFoundError } from '../../core/errors';
import { checkCursor, follow } from '../events/follow';
import { join, watchers } from '../presence/presence.service';
import { Watcher } from '../presence/presence.types';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';
import { assertMayRead } from '../user/user.scope';
import { BoardEvent } from './board.types';
import { lookUpBoard } from './board.lookup';

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
    description: 'Every change to the progress (and targets, reviews, comments) of a programme in the region or one of its children, '
      + 'and who watches the board. after: first every event after that cursor, then the live stream, with no gap and no repeat.',
    subscribe: async ({ args, context }) => {
      const { programme: programmeCode, region: regionCode, after } = args as BoardArgs;
      const ctx = context as Context;
      const user = requireUser(ctx);
      // Looked up with the other subscriptions starting now (board.lookup.ts): the subscription,
      // which lives on, keeps no entity nor EntityManager, only the codes and ids it follows.
      const { programmeId, region } = await lookUpBoard(ctx.services.em, programmeCode, regionCode);
      if (programmeId === null) throw new NotFoundError('Programme', programmeCode);
      if (!region) throw new NotFoundError('Region', regionCode);
      assertMayRead(ctx, region, programmeCode);
      const from = after == null ? undefined : await checkCursor(ctx.services.events, after);
      let leave: Promise<() => Promise<void>> | undefined;
      const events = follow(ctx.services.events, { programmeId, regionOrChildOf: regionCode }, from, {
        maxQueued: ctx.config.wsMaxQueuedEvents,
        onOverflow: () => ctx.closeConnection?.(SLOW_CONSUMER_CLOSE, 'Too slow: events piled up; reconnect with your last cursor'),
        onEnd: () => {
          // At shutdown the instance's watchers are removed at once (events.stop), not one by one.
          if (ctx.services.events.isClosing) return;
          void leave?.then((go) => go()).catch((error) => console.error('presence:', error));
        },
      });
      // Listening first, then joining: the subscriber sees its own arrival.
      leave = join(ctx.services.em, ctx.clock, ctx.services.events, user, programmeId, regionCode);
      await leave;
      return events;
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

  @Query(() => [Watcher], { description: 'Who watches a board now (live boardEvents subscriptions), earliest first.' })
  async boardWatchers(@Arg('programme', () => String) programmeCode: string, @Arg('region', () => String) regionCode: string, @Ctx() ctx: Context): Promise<Watcher[]> {
    const programme = await ctx.em.findOne(Programme, { code: programmeCode });
    if (!programme) throw new NotFoundError('Programme', programmeCode);
    const region = await ctx.loaders.region.byCode.load(regionCode);
    if (!region) throw new NotFoundError('Region', regionCode);
    assertMayRead(ctx, region, programmeCode);
    return watchers(ctx.em, programme.id, regionCode, ctx.clock.now());
  }
}
