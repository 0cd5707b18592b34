import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { Node } from '../../common/node';

/** A department of the bureau that leads programmes (养老服务处, 社会组织管理局 …). */
@ObjectType({ implements: Node })
@Entity()
export class Department {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field()
  @Property({ type: 'string', length: 100, unique: true })
  name!: string;
}
