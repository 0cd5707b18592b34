import { Arg, Authorized, Resolver, Root, Subscription } from 'type-graphql';
import { requireUser, type Context } from '../../core/context';
import { SLOW_CONSUMER_CLOSE } from '../board/board.resolver';
import { checkCursor, follow } from '../events/follow';
import { Notification } from './notification.types';

@Authorized()
@Resolver()
export class NotificationResolver {
  @Subscription(() => Notification, {
    description: 'Notifications for the signed-in user. after: first every one after that cursor, then live.',
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const user = requireUser(ctx);
      const after = (args as { after?: string | null }).after;
      const from = after == null ? undefined : await checkCursor(ctx.services.events, after);
      return follow(ctx.services.events, { userId: user.id, types: ['Notification'] }, from, {
        maxQueued: ctx.config.wsMaxQueuedEvents,
        onOverflow: () => ctx.closeConnection?.(SLOW_CONSUMER_CLOSE, 'Too slow: events piled up; reconnect with your last cursor'),
      });
    },
  })
  notifications(@Root() notification: Notification, @Arg('after', () => String, { nullable: true }) _after?: string): Notification {
    return notification;
  }
}
