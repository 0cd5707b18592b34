import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Department } from '../department/department.entity';
import { Region } from '../region/region.entity';

export enum Role {
  ADMIN = 'ADMIN',
  DEPARTMENT = 'DEPARTMENT',
  REPORTER = 'REPORTER',
  VIEWER = 'VIEWER',
}
registerEnumType(Role, {
  name: 'Role',
  valuesConfig: {
    ADMIN: { description: 'Everything, everywhere.' },
    DEPARTMENT: { description: 'A city department: sets targets and reports figures for the programmes it leads.' },
    REPORTER: { description: 'Reports figures for the regions inside its scope.' },
    VIEWER: { description: 'Reads; a meeting-room board.' },
  },
});

@ObjectType()
@Entity({ tableName: 'app_user' })
export class User {
  @Field(() => ID)
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
}
