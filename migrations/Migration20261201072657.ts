import { Migration } from '@mikro-orm/migrations';

export class Migration20261201072657 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "score_weight" ("id" serial primary key, "programme_id" int not null, "indicator_id" int not null, "weight" numeric(20,4) not null);`);
    this.addSql(`create index "score_weight_programme_id_index" on "score_weight" ("programme_id");`);
    this.addSql(`alter table "score_weight" add constraint "score_weight_indicator_id_unique" unique ("indicator_id");`);

    this.addSql(`alter table "score_weight" add constraint "score_weight_programme_id_foreign" foreign key ("programme_id") references "programme" ("id") on update cascade;`);
    this.addSql(`alter table "score_weight" add constraint "score_weight_indicator_id_foreign" foreign key ("indicator_id") references "indicator" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "score_weight" cascade;`);
  }

}
