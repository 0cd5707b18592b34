import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';
import { BoardEvent } from '../board/board.types';

export enum PresenceChange {
  JOINED = 'JOINED',
  LEFT = 'LEFT',
}
registerEnumType(PresenceChange, { name: 'PresenceChange' });

@ObjectType({ description: 'Someone watching a board.' })
export class Watcher {
  @Field()
  username!: string;

  @Field({ nullable: true })
  department?: string;

  @Field(() => DateTimeScalar)
  since!: Date;
}

@ObjectType({
  implements: BoardEvent,
  description: 'Someone began or stopped watching this board (their first screen on it came, or their last went). '
    + 'The whole list: the boardWatchers query.',
})
export class PresenceChanged extends BoardEvent {
  @Field(() => PresenceChange)
  change!: PresenceChange;

  @Field(() => Watcher)
  watcher!: Watcher;

  @Field(() => Int, { description: 'How many people watch the board now.' })
  watching!: number;
}
