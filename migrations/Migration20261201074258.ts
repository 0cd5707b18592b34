import { Migration } from '@mikro-orm/migrations';

export class Migration20261201074258 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "notice_colour" as enum ('BLUE', 'YELLOW', 'RED');`);
    this.addSql(`create type "notice_state" as enum ('ISSUED', 'ACKNOWLEDGED', 'EXTENSION_REQUESTED', 'EXTENSION_GRANTED', 'EXTENSION_REFUSED', 'COMPLETED', 'RETURNED', 'ACCEPTED', 'LIFTED');`);
    this.addSql(`create table "notice_sweep" ("id" int not null, "day" date not null, constraint "notice_sweep_pkey" primary key ("id"));`);

    this.addSql(`create table "notice" ("id" bigserial primary key, "indicator_id" int not null, "region_code" varchar(12) not null, "target_id" int not null, "colour" "notice_colour" not null, "state" "notice_state" not null, "reason" text not null, "deadline" date not null, "requested_until" date null, "extended_to" date null, "issued_on" date not null, "red_since" date null, "escalated_at" timestamptz null, "issued_at" timestamptz not null, "updated_at" timestamptz not null, "closed_at" timestamptz null, "version" int not null default 1);`);
    this.addSql(`create index "notice_region_code_index" on "notice" ("region_code");`);
    this.addSql(`create index "notice_state_index" on "notice" ("state");`);
    this.addSql(`create unique index "notice_open_key" on "notice" ("indicator_id", "region_code") where "closed_at" is null;`);

    this.addSql(`create table "notice_step" ("id" bigserial primary key, "notice_id" bigint not null, "action" varchar(40) not null, "state" "notice_state" not null, "colour" "notice_colour" not null, "note" text null, "actor_id" int null, "day" date not null, "at" timestamptz not null);`);
    this.addSql(`create index "notice_step_notice_id_index" on "notice_step" ("notice_id");`);

    this.addSql(`create table "notice_rules" ("id" serial primary key, "programme_id" int not null, "blue_within_days" int not null, "yellow_behind_share" numeric(20,4) not null, "red_behind_share" numeric(20,4) not null, "escalate_after_working_days" int not null, "version" int not null default 1, "updated_by_id" int null, "updated_at" timestamptz null);`);
    this.addSql(`alter table "notice_rules" add constraint "notice_rules_programme_id_unique" unique ("programme_id");`);

    this.addSql(`alter table "notice" add constraint "notice_indicator_id_foreign" foreign key ("indicator_id") references "indicator" ("id") on update cascade;`);
    this.addSql(`alter table "notice" add constraint "notice_region_code_foreign" foreign key ("region_code") references "region" ("code") on update cascade;`);
    this.addSql(`alter table "notice" add constraint "notice_target_id_foreign" foreign key ("target_id") references "target" ("id") on update cascade;`);

    this.addSql(`alter table "notice_step" add constraint "notice_step_notice_id_foreign" foreign key ("notice_id") references "notice" ("id") on update cascade;`);
    this.addSql(`alter table "notice_step" add constraint "notice_step_actor_id_foreign" foreign key ("actor_id") references "app_user" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "notice_rules" add constraint "notice_rules_programme_id_foreign" foreign key ("programme_id") references "programme" ("id") on update cascade;`);
    this.addSql(`alter table "notice_rules" add constraint "notice_rules_updated_by_id_foreign" foreign key ("updated_by_id") references "app_user" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "notice_step" drop constraint "notice_step_notice_id_foreign";`);

    this.addSql(`drop table if exists "notice_sweep" cascade;`);

    this.addSql(`drop table if exists "notice" cascade;`);

    this.addSql(`drop table if exists "notice_step" cascade;`);

    this.addSql(`drop table if exists "notice_rules" cascade;`);

    this.addSql(`drop type "notice_colour";`);
    this.addSql(`drop type "notice_state";`);
  }

}
