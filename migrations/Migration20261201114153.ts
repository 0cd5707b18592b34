// An indicator's short name (at most 12 characters), for where its name would be cut.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261201114153 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "indicator" add column "short_name" varchar(12) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "indicator" drop column "short_name";`);
  }

}
