import { Field, ObjectType } from 'type-graphql';
import { BoardEvent } from '../board/board.types';
import { Notice } from './notice.entity';

@ObjectType({ implements: BoardEvent, description: 'A supervision notice (督办单) in the region or a child was issued, changed colour, or moved a step.' })
export class NoticeChanged extends BoardEvent {
  @Field(() => Notice)
  notice!: Notice;

  @Field({ description: 'What happened: ISSUED, RAISED, LOWERED, ESCALATED, LIFTED, ACKNOWLEDGED, EXTENSION_REQUESTED, EXTENSION_GRANTED, EXTENSION_REFUSED, COMPLETED, ACCEPTED, RETURNED.' })
  action!: string;
}
