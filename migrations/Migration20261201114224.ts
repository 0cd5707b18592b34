import { Migration } from '@mikro-orm/migrations';

export class Migration20261201114224 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index "board_watcher_programme_id_region_code_index";`);

    this.addSql(`create index "board_watcher_programme_id_region_code_user_id_index" on "board_watcher" ("programme_id", "region_code", "user_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "board_watcher_programme_id_region_code_user_id_index";`);

    this.addSql(`create index "board_watcher_programme_id_region_code_index" on "board_watcher" ("programme_id", "region_code");`);
  }

}
