import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireUser, type Context } from '../../core/context';
import { BadInputError, NotFoundError } from '../../core/errors';
import { Role } from '../user/user.entity';
import { Channel, Delivery, DeliveryStatus } from './channel.entity';
import { redactedUrl } from './channel.format';
import { CreateChannelInput, UpdateChannelInput } from './channel.input';
import { createChannel, deleteChannel, updateChannel } from './channel.service';
import { localKey, toGlobalId } from '../../common/node';

/** A channel id an argument names (global, or the key), checked to be one. */
function channelKey(id: string): string {
  const key = localKey('Channel', id);
  if (!/^\d{1,18}$/.test(key)) throw new NotFoundError('Channel', id);
  return key;
}

@Authorized([Role.ADMIN])
@Resolver(() => Channel)
export class ChannelResolver {
  @Query(() => [Channel], { description: 'The channels messages go out to (ADMIN).' })
  async channels(@Ctx() ctx: Context): Promise<Channel[]> {
    return ctx.em.find(Channel, {}, { orderBy: { id: 'asc' } });
  }

  @Mutation(() => Channel, { description: 'Adds a channel (ADMIN): a DingTalk or WeCom robot or a webhook, and what it carries. It gets what happens from now on.' })
  async createChannel(@Arg('input', () => CreateChannelInput) input: CreateChannelInput, @Ctx() ctx: Context): Promise<Channel> {
    return createChannel(ctx.work, requireUser(ctx), input);
  }

  @Mutation(() => Channel, { description: 'Changes a channel (ADMIN).' })
  async updateChannel(@Arg('input', () => UpdateChannelInput) input: UpdateChannelInput, @Ctx() ctx: Context): Promise<Channel> {
    return updateChannel(ctx.work, requireUser(ctx), channelKey(input.id), input);
  }

  @Mutation(() => Channel, { description: 'Removes a channel and its deliveries (ADMIN).' })
  async deleteChannel(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Channel> {
    return deleteChannel(ctx.work, requireUser(ctx), channelKey(id));
  }

  @FieldResolver(() => ID, { description: 'Global and stable.' })
  id(@Root() c: Channel): string {
    return toGlobalId('Channel', c.id);
  }

  @FieldResolver(() => String, { description: 'The receiver\'s URL, the values of its query (a robot\'s access token) hidden.' })
  url(@Root() c: Channel): string {
    return redactedUrl(c.url);
  }

  @FieldResolver(() => Boolean, { description: 'Whether a secret is set (it is never returned).' })
  hasSecret(@Root() c: Channel): boolean {
    return Boolean(c.secret);
  }
}

@Authorized([Role.ADMIN])
@Resolver(() => Delivery)
export class DeliveryResolver {
  @Query(() => [Delivery], { description: 'Deliveries, newest first (ADMIN): of one channel, in one status; with their attempts and last error.' })
  async deliveries(
    @Arg('channel', () => ID, { nullable: true }) channel: string | undefined,
    @Arg('status', () => DeliveryStatus, { nullable: true }) status: DeliveryStatus | undefined,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<Delivery[]> {
    if (first < 1 || first > 500) throw new BadInputError('first must be from 1 to 500', 'first');
    return ctx.em.find(Delivery, { ...(channel ? { channel: channelKey(channel) } : {}), ...(status ? { status } : {}) },
      { orderBy: { createdAt: 'desc', eventSeq: 'desc' }, limit: first });
  }

  @FieldResolver(() => Channel)
  channel(@Root() d: Delivery, @Ctx() ctx: Context): Promise<Channel> {
    return ctx.loaders.ensure(d.channel);
  }
}
