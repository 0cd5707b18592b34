import { Migration } from '@mikro-orm/migrations';

export class Migration20261201071912 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "progress_rollup" ("indicator_id" int not null, "region_code" varchar(12) not null, "reported" int not null, "total" numeric null, "minimum" numeric null, "maximum" numeric null, "numerator" numeric null, "denominator" numeric null, "with_ratio" int not null, "last_reported_at" timestamptz null, "last_as_of" date null, constraint "progress_rollup_pkey" primary key ("indicator_id", "region_code"));`);

    this.addSql(`create table "projection_state" ("id" boolean not null default true, "last_folded" bigint not null, "rebuild" boolean not null, constraint "projection_state_pkey" primary key ("id"));`);

    this.addSql(`create table "region_count" ("region_code" varchar(12) not null, "level" "region_level" not null, "regions" int not null, constraint "region_count_pkey" primary key ("region_code", "level"));`);

    this.addSql(`alter table "outbox_sequence" add column "last_fact_seq" bigint not null default 0;`);

    // The projection starts unbuilt: its first leader builds it from the figures, and boards read
    // at read time until then.
    this.addSql(`insert into "projection_state" ("id", "last_folded", "rebuild") select true, "last_seq", true from "outbox_sequence";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "progress_rollup" cascade;`);

    this.addSql(`drop table if exists "projection_state" cascade;`);

    this.addSql(`drop table if exists "region_count" cascade;`);

    this.addSql(`alter table "outbox_sequence" drop column "last_fact_seq";`);
  }

}
