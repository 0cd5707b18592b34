import { Migration } from '@mikro-orm/migrations';

export class Migration20261128132313 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "board_watcher" ("id" uuid not null, "instance" uuid not null, "programme_id" int not null, "region_code" varchar(12) not null, "user_id" int not null, "username" varchar(64) not null, "department" varchar(100) null, "since" timestamptz not null, "seen_at" timestamptz not null, constraint "board_watcher_pkey" primary key ("id"));`);
    this.addSql(`create index "board_watcher_instance_index" on "board_watcher" ("instance");`);
    this.addSql(`create index "board_watcher_programme_id_region_code_index" on "board_watcher" ("programme_id", "region_code");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "board_watcher" cascade;`);
  }

}
