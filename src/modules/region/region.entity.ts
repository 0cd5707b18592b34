import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../../common/node';

export enum RegionLevel {
  NATION = 'NATION',
  PROVINCE = 'PROVINCE',
  CITY = 'CITY',
  COUNTY = 'COUNTY',
  TOWNSHIP = 'TOWNSHIP',
  VILLAGE = 'VILLAGE',
}
registerEnumType(RegionLevel, { name: 'RegionLevel', description: 'A level of the administrative tree.' });

/** The depth of each level below the nation; the order of the tree. */
export const LEVEL_DEPTH: Record<RegionLevel, number> = {
  NATION: 0, PROVINCE: 1, CITY: 2, COUNTY: 3, TOWNSHIP: 4, VILLAGE: 5,
};

/**
 * A node of the administrative tree, keyed by its GB/T 2260 code. `path` is the materialised
 * ancestry (`/330000/330300/330302/`), so a subtree is one prefix scan of an index.
 */
@ObjectType({ implements: Node, description: 'A region of the administrative tree (GB/T 2260).' })
@Entity()
// The regions of one level in a subtree are one range: the 41k townships under the nation without the 620k villages.
@Index({ name: 'region_level_path_idx', expression: 'create index "region_level_path_idx" on "region" ("level", "path" text_pattern_ops)' })
export class Region {
  @Field({ description: 'GB/T 2260 code: 330300 温州市, 330302 鹿城区, 330302006 五马街道.' })
  @PrimaryKey({ type: 'string', length: 12 })
  code!: string;

  @Field()
  @Property({ type: 'string', length: 100 })
  name!: string;

  @Field(() => RegionLevel)
  @Enum({ items: () => RegionLevel, nativeEnumName: 'region_level' })
  level!: RegionLevel;

  @ManyToOne(() => Region, { nullable: true, fieldName: 'parent_code', index: true })
  parent?: Rel<Region>;

  @Index({ name: 'region_path_prefix_idx', expression: 'create index "region_path_prefix_idx" on "region" ("path" text_pattern_ops)' })
  @Property({ type: 'text', unique: true })
  path!: string;
}

/** The codes of a region and its ancestors, from its materialised path, the region first. */
export function selfAndAncestors(region: Region): string[] {
  return region.path.split('/').filter(Boolean).reverse();
}
