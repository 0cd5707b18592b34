import { Migration } from '@mikro-orm/migrations';

export class Migration20261128131544 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "comment" ("id" bigserial primary key, "indicator_id" int not null, "region_code" varchar(12) not null, "submission_id" bigint null, "text" text not null, "author_id" int not null, "created_at" timestamptz not null);`);
    this.addSql(`create index "comment_indicator_id_region_code_created_at_index" on "comment" ("indicator_id", "region_code", "created_at");`);

    this.addSql(`alter table "comment" add constraint "comment_indicator_id_foreign" foreign key ("indicator_id") references "indicator" ("id") on update cascade;`);
    this.addSql(`alter table "comment" add constraint "comment_region_code_foreign" foreign key ("region_code") references "region" ("code") on update cascade;`);
    this.addSql(`alter table "comment" add constraint "comment_submission_id_foreign" foreign key ("submission_id") references "submission" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "comment" add constraint "comment_author_id_foreign" foreign key ("author_id") references "app_user" ("id") on update cascade;`);

    this.addSql(`alter table "submission" add column "reviewed_by_id" int null, add column "reviewed_at" timestamptz null, add column "review_note" text null;`);
    this.addSql(`alter table "submission" add constraint "submission_reviewed_by_id_foreign" foreign key ("reviewed_by_id") references "app_user" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "comment" cascade;`);

    this.addSql(`alter table "submission" drop constraint "submission_reviewed_by_id_foreign";`);

    this.addSql(`alter table "submission" drop column "reviewed_by_id", drop column "reviewed_at", drop column "review_note";`);
  }

}
