import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A sign-in attempt, kept to throttle guessing per username and per address, on every instance.
 * Written as a failure before the password is checked (so concurrent attempts count each other),
 * then marked `succeeded` when it is right; an attempt whose password was never checked (the
 * queue was full) is deleted.
 */
@Entity()
@Index({ properties: ['username', 'at'] })
@Index({ properties: ['address', 'at'] })
export class LoginAttempt {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 64 })
  username!: string;

  @Property({ type: 'string', length: 64 })
  address!: string;

  @Property({ type: 'timestamptz' })
  at!: Date;

  @Property({ type: 'boolean' })
  succeeded!: boolean;
}
