import { Entity, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, Float, ObjectType } from 'type-graphql';
import { numeric } from '../../common/numeric';
import { Indicator } from '../indicator/indicator.entity';
import { Programme } from '../programme/programme.entity';

/** An indicator's weight in its programme's score (量化评分), set by the leading department. */
@ObjectType({ description: 'An indicator\'s weight in its programme\'s score (量化评分).' })
@Entity()
export class ScoreWeight {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Programme, { index: true })
  programme!: Rel<Programme>;

  @Field(() => Indicator)
  @ManyToOne(() => Indicator, { unique: true })
  indicator!: Rel<Indicator>;

  @Field(() => Float)
  @Property({ ...numeric() })
  weight!: number;
}
