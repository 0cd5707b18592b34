import { Migration } from '@mikro-orm/migrations';

export class Migration20261128121652 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "indicator_kind" as enum ('COUNT', 'AMOUNT', 'PERCENT', 'GROWTH', 'MILESTONE');`);
    this.addSql(`create type "direction" as enum ('UP', 'DOWN');`);
    this.addSql(`create type "aggregation" as enum ('SUM', 'RATIO', 'AVERAGE', 'MIN', 'MAX');`);
    this.addSql(`create type "target_scope" as enum ('CITY', 'EACH_COUNTY');`);
    this.addSql(`create type "region_level" as enum ('NATION', 'PROVINCE', 'CITY', 'COUNTY', 'TOWNSHIP', 'VILLAGE');`);
    this.addSql(`create type "role" as enum ('ADMIN', 'DEPARTMENT', 'REPORTER', 'VIEWER');`);
    this.addSql(`create type "comparator" as enum ('GTE', 'LTE', 'EQ', 'RANGE');`);
    this.addSql(`create type "submission_status" as enum ('SUBMITTED', 'APPROVED', 'RETURNED');`);
    this.addSql(`create table "department" ("id" serial primary key, "name" varchar(100) not null);`);
    this.addSql(`alter table "department" add constraint "department_name_unique" unique ("name");`);

    this.addSql(`create table "programme" ("id" serial primary key, "code" varchar(20) not null, "name" varchar(200) not null, "gloss" text null, "year" int not null, "starts_on" date not null, "ends_on" date not null, "lead_department_id" int not null);`);
    this.addSql(`alter table "programme" add constraint "programme_code_unique" unique ("code");`);

    this.addSql(`create table "indicator" ("id" serial primary key, "code" varchar(20) not null, "programme_id" int not null, "name" varchar(200) not null, "kind" "indicator_kind" not null, "unit" varchar(20) null, "direction" "direction" not null, "aggregation" "aggregation" not null, "scope" "target_scope" not null, "reporting_level" "region_level" not null, "baseline" double precision null, "decimals" smallint not null, "source" text null, "position" smallint not null);`);
    this.addSql(`alter table "indicator" add constraint "indicator_code_unique" unique ("code");`);
    this.addSql(`create index "indicator_programme_id_index" on "indicator" ("programme_id");`);

    this.addSql(`create table "region" ("code" varchar(12) not null, "name" varchar(100) not null, "level" "region_level" not null, "parent_code" varchar(12) null, "path" text not null, constraint "region_pkey" primary key ("code"));`);
    this.addSql(`create index "region_parent_code_index" on "region" ("parent_code");`);
    this.addSql(`alter table "region" add constraint "region_path_unique" unique ("path");`);
    this.addSql(`create index "region_path_prefix_idx" on "region" ("path" text_pattern_ops);`);

    this.addSql(`create table "app_user" ("id" serial primary key, "username" varchar(64) not null, "password_hash" varchar(255) not null, "role" "role" not null, "region_code" varchar(12) null, "department_id" int null);`);
    this.addSql(`alter table "app_user" add constraint "app_user_username_unique" unique ("username");`);

    this.addSql(`create table "target" ("id" serial primary key, "indicator_id" int not null, "region_code" varchar(12) not null, "value" numeric(20,4) null, "min" numeric(20,4) null, "max" numeric(20,4) null, "comparator" "comparator" not null, "deadline" date null, "synthetic" boolean not null default false, "note" text null, "version" int not null default 1, "updated_by_id" int null, "updated_at" timestamptz not null);`);
    this.addSql(`create index "target_region_code_index" on "target" ("region_code");`);
    this.addSql(`create unique index "target_indicator_region_deadline_key" on "target" ("indicator_id", "region_code", "deadline") nulls not distinct;`);

    this.addSql(`create table "submission" ("id" bigserial primary key, "indicator_id" int not null, "region_code" varchar(12) not null, "value" numeric(20,4) not null, "numerator" numeric(20,4) null, "denominator" numeric(20,4) null, "as_of" date not null, "note" text null, "status" "submission_status" not null, "submitted_by_id" int not null, "submitted_at" timestamptz not null, "idempotency_key" varchar(200) null, "synthetic" boolean not null default false);`);
    this.addSql(`create index "submission_region_code_index" on "submission" ("region_code");`);
    this.addSql(`create index "submission_latest_idx" on "submission" ("indicator_id", "region_code", "as_of", "id");`);
    this.addSql(`alter table "submission" add constraint "submission_idempotency_key" unique ("submitted_by_id", "idempotency_key");`);

    this.addSql(`alter table "programme" add constraint "programme_lead_department_id_foreign" foreign key ("lead_department_id") references "department" ("id") on update cascade;`);

    this.addSql(`alter table "indicator" add constraint "indicator_programme_id_foreign" foreign key ("programme_id") references "programme" ("id") on update cascade;`);

    this.addSql(`alter table "region" add constraint "region_parent_code_foreign" foreign key ("parent_code") references "region" ("code") on update cascade on delete set null;`);

    this.addSql(`alter table "app_user" add constraint "app_user_region_code_foreign" foreign key ("region_code") references "region" ("code") on update cascade on delete set null;`);
    this.addSql(`alter table "app_user" add constraint "app_user_department_id_foreign" foreign key ("department_id") references "department" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "target" add constraint "target_indicator_id_foreign" foreign key ("indicator_id") references "indicator" ("id") on update cascade;`);
    this.addSql(`alter table "target" add constraint "target_region_code_foreign" foreign key ("region_code") references "region" ("code") on update cascade;`);
    this.addSql(`alter table "target" add constraint "target_updated_by_id_foreign" foreign key ("updated_by_id") references "app_user" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "submission" add constraint "submission_indicator_id_foreign" foreign key ("indicator_id") references "indicator" ("id") on update cascade;`);
    this.addSql(`alter table "submission" add constraint "submission_region_code_foreign" foreign key ("region_code") references "region" ("code") on update cascade;`);
    this.addSql(`alter table "submission" add constraint "submission_submitted_by_id_foreign" foreign key ("submitted_by_id") references "app_user" ("id") on update cascade;`);

    // Submissions are append-only: a figure is never changed or deleted; a correction is a new row.
    // Only the review (status) may change.
    this.addSql(`create function submission_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          raise exception 'submissions are append-only: % cannot be deleted', old.id using errcode = 'P0001';
        end if;
        if (new.indicator_id, new.region_code, new.value, new.numerator, new.denominator, new.as_of, new.note,
            new.submitted_by_id, new.submitted_at, new.idempotency_key, new.synthetic)
           is distinct from
           (old.indicator_id, old.region_code, old.value, old.numerator, old.denominator, old.as_of, old.note,
            old.submitted_by_id, old.submitted_at, old.idempotency_key, old.synthetic) then
          raise exception 'submissions are append-only: only the status of % may change', old.id using errcode = 'P0001';
        end if;
        return new;
      end $$;`);
    this.addSql(`create trigger submission_append_only before update or delete on "submission"
      for each row execute function submission_append_only();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists submission_append_only on "submission";`);
    this.addSql(`drop function if exists submission_append_only();`);

    this.addSql(`alter table "programme" drop constraint "programme_lead_department_id_foreign";`);

    this.addSql(`alter table "app_user" drop constraint "app_user_department_id_foreign";`);

    this.addSql(`alter table "indicator" drop constraint "indicator_programme_id_foreign";`);

    this.addSql(`alter table "target" drop constraint "target_indicator_id_foreign";`);

    this.addSql(`alter table "submission" drop constraint "submission_indicator_id_foreign";`);

    this.addSql(`alter table "region" drop constraint "region_parent_code_foreign";`);

    this.addSql(`alter table "app_user" drop constraint "app_user_region_code_foreign";`);

    this.addSql(`alter table "target" drop constraint "target_region_code_foreign";`);

    this.addSql(`alter table "submission" drop constraint "submission_region_code_foreign";`);

    this.addSql(`alter table "target" drop constraint "target_updated_by_id_foreign";`);

    this.addSql(`alter table "submission" drop constraint "submission_submitted_by_id_foreign";`);

    this.addSql(`drop table if exists "department" cascade;`);

    this.addSql(`drop table if exists "programme" cascade;`);

    this.addSql(`drop table if exists "indicator" cascade;`);

    this.addSql(`drop table if exists "region" cascade;`);

    this.addSql(`drop table if exists "app_user" cascade;`);

    this.addSql(`drop table if exists "target" cascade;`);

    this.addSql(`drop table if exists "submission" cascade;`);

    this.addSql(`drop type "indicator_kind";`);
    this.addSql(`drop type "direction";`);
    this.addSql(`drop type "aggregation";`);
    this.addSql(`drop type "target_scope";`);
    this.addSql(`drop type "region_level";`);
    this.addSql(`drop type "role";`);
    this.addSql(`drop type "comparator";`);
    this.addSql(`drop type "submission_status";`);
  }

}
