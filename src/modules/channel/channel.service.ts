import type { EntityManager } from '@mikro-orm/postgresql';
import { BadInputError, NotFoundError } from '../../core/errors';
import { audit } from '../audit/audit.service';
import type { UnitOfWork } from '../events/unit-of-work';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';
import type { User } from '../user/user.entity';
import { Channel, ChannelKind } from './channel.entity';
import type { CreateChannelInput, UpdateChannelInput } from './channel.input';

/** A URL a channel may post to: http or https, at most 2,000 characters. */
export function checkUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadInputError('url is not a URL', 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadInputError('url must start with http:// or https://', 'url');
  if (text.length > 2000) throw new BadInputError('url is longer than 2,000 characters', 'url');
  return text;
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (!name) throw new BadInputError('name is empty', 'name');
  if (name.length > 100) throw new BadInputError('name is longer than 100 characters', 'name');
  return name;
}

function checkSecret(raw: string | null | undefined): string | null {
  if (raw == null || raw === '') return null;
  if (raw.length > 500) throw new BadInputError('secret is longer than 500 characters', 'secret');
  return raw;
}

async function checkCodes(em: EntityManager, programmes: string[] | undefined, regions: string[] | undefined): Promise<void> {
  if (programmes?.length) {
    const found = new Set((await em.find(Programme, { code: { $in: programmes } })).map((p) => p.code));
    const unknown = programmes.filter((c) => !found.has(c));
    if (unknown.length) throw new BadInputError(`no programme ${unknown.join(', ')}`, 'programmes');
  }
  if (regions?.length) {
    const found = new Set((await em.find(Region, { code: { $in: regions } })).map((r) => r.code));
    const unknown = regions.filter((c) => !found.has(c));
    if (unknown.length) throw new BadInputError(`no region ${unknown.join(', ')}`, 'regions');
  }
}

/** What the audit trail keeps of a channel: everything but the secret (whether it has one). */
function trail(c: Channel): Record<string, unknown> {
  return { name: c.name, kind: c.kind, programmes: c.programmes, regions: c.regions, events: c.events, hasSecret: Boolean(c.secret) };
}

async function find(em: EntityManager, id: string): Promise<Channel> {
  const channel = /^\d{1,18}$/.test(id) ? await em.findOne(Channel, { id }) : null;
  if (!channel) throw new NotFoundError('Channel', id);
  return channel;
}

/** Adds a channel (ADMIN): it carries what the outbox gets from now on. */
export async function createChannel(unit: UnitOfWork, user: User, input: CreateChannelInput): Promise<Channel> {
  const name = checkName(input.name);
  const url = checkUrl(input.url);
  const secret = checkSecret(input.secret);
  if (!Object.values(ChannelKind).includes(input.kind)) throw new BadInputError('unknown kind', 'kind');
  await checkCodes(unit.em, input.programmes, input.regions);
  return unit.transaction(async (tx) => {
    const [{ last_seq: fromSeq }] = await tx.execute<{ last_seq: string }[]>('select last_seq from outbox_sequence where id');
    const at = new Date();
    const channel = tx.create(Channel, {
      name, kind: input.kind, url, secret, programmes: input.programmes ?? [], regions: input.regions ?? [], events: input.events ?? [],
      fromSeq, createdAt: at, updatedAt: at,
    });
    await tx.flush();
    audit(tx, user, unit.clock.now(), { action: 'CREATE_CHANNEL', entityType: 'Channel', entityId: channel.id, after: trail(channel) });
    return channel;
  });
}

export async function updateChannel(unit: UnitOfWork, user: User, id: string, input: UpdateChannelInput): Promise<Channel> {
  const name = input.name == null ? undefined : checkName(input.name);
  const url = input.url == null ? undefined : checkUrl(input.url);
  const secret = input.secret === undefined ? undefined : checkSecret(input.secret);
  await checkCodes(unit.em, input.programmes, input.regions);
  return unit.transaction(async (tx) => {
    const channel = await find(tx, id);
    const before = trail(channel);
    if (name !== undefined) channel.name = name;
    if (url !== undefined) channel.url = url;
    if (secret !== undefined) channel.secret = secret;
    if (input.programmes) channel.programmes = input.programmes;
    if (input.regions) channel.regions = input.regions;
    if (input.events) channel.events = input.events;
    channel.updatedAt = new Date();
    audit(tx, user, unit.clock.now(), { action: 'UPDATE_CHANNEL', entityType: 'Channel', entityId: channel.id, before, after: trail(channel) });
    return channel;
  });
}

/** Removes a channel and its deliveries (those not sent are not sent). */
export async function deleteChannel(unit: UnitOfWork, user: User, id: string): Promise<Channel> {
  return unit.transaction(async (tx) => {
    const channel = await find(tx, id);
    audit(tx, user, unit.clock.now(), { action: 'DELETE_CHANNEL', entityType: 'Channel', entityId: channel.id, before: trail(channel) });
    const gone = Object.assign(new Channel(), { ...trail(channel), id: channel.id, url: channel.url, secret: channel.secret, createdAt: channel.createdAt, updatedAt: channel.updatedAt });
    await tx.nativeDelete(Channel, { id: channel.id });
    return gone;
  });
}
