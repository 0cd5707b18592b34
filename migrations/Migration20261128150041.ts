import { Migration } from '@mikro-orm/migrations';

export class Migration20261128150041 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "region_level_path_idx" on "region" ("level", "path" text_pattern_ops);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "region_level_path_idx";`);
  }

}
