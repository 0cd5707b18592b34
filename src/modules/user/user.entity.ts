import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';
import { Department } from '../department/department.entity';
import { Region } from '../region/region.entity';
import { Node } from '../../common/node';

export enum Role {
  ADMIN = 'ADMIN',
  LEADER = 'LEADER',
  DEPARTMENT = 'DEPARTMENT',
  REPORTER = 'REPORTER',
  VIEWER = 'VIEWER',
}
registerEnumType(Role, {
  name: 'Role',
  valuesConfig: {
    ADMIN: { description: 'Everything, everywhere; manages users and screen tokens.' },
    LEADER: { description: 'A bureau leader: reads everything, writes instructions (批示) and urges (催办).' },
    DEPARTMENT: { description: 'A city department: manages the indicators and targets of the programmes it leads, reviews their figures, urges.' },
    REPORTER: { description: 'Submits and corrects figures for the regions inside its scope; reads only there.' },
    VIEWER: { description: 'Reads (inside its region scope, if it has one); a meeting-room board.' },
  },
});

@ObjectType({ implements: Node })
@Entity({ tableName: 'app_user' })
export class User {
  /** The primary key; clients see the global id (Node.id). */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field()
  @Property({ type: 'string', length: 64, unique: true })
  username!: string;

  /** scrypt, with its parameters and salt; never exposed. */
  @Property({ type: 'string', length: 255, hidden: true, lazy: true })
  passwordHash!: string;

  @Field(() => Role)
  @Enum({ items: () => Role, nativeEnumName: 'role' })
  role!: Role;

  /** The subtree this user may act in; null for the whole tree. */
  @ManyToOne(() => Region, { nullable: true, fieldName: 'region_code' })
  region?: Rel<Region>;

  @ManyToOne(() => Department, { nullable: true })
  department?: Rel<Department>;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Set when the account was disabled: it can no longer sign in, and its tokens stop working.' })
  @Property({ type: 'timestamptz', nullable: true })
  disabledAt?: Date;
}
