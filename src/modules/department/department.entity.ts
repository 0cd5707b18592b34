import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/** A department of the bureau that leads programmes (养老服务处, 社会组织管理局 …). */
@ObjectType()
@Entity()
export class Department {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field()
  @Property({ type: 'string', length: 100, unique: true })
  name!: string;
}
