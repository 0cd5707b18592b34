import { Migration } from '@mikro-orm/migrations';

export class Migration20261128145305 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "reporting_cycle" as enum ('MONTHLY', 'QUARTERLY', 'HALF_YEARLY', 'YEARLY');`);
    this.addSql(`create type "comment_kind" as enum ('COMMENT', 'INSTRUCTION');`);
    this.addSql(`create type "session_kind" as enum ('LOGIN', 'SCREEN');`);
    this.addSql(`create table "login_attempt" ("id" bigserial primary key, "username" varchar(64) not null, "address" varchar(64) not null, "at" timestamptz not null, "succeeded" boolean not null);`);
    this.addSql(`create index "login_attempt_address_at_index" on "login_attempt" ("address", "at");`);
    this.addSql(`create index "login_attempt_username_at_index" on "login_attempt" ("username", "at");`);

    this.addSql(`create table "urge" ("id" bigserial primary key, "indicator_id" int not null, "region_code" varchar(12) not null, "due_on" date not null, "message" text null, "created_by_id" int not null, "created_at" timestamptz not null, "resolved_at" timestamptz null, "resolved_by_id" bigint null);`);
    this.addSql(`create index "urge_indicator_id_region_code_resolved_at_index" on "urge" ("indicator_id", "region_code", "resolved_at");`);

    this.addSql(`create table "auth_session" ("id" uuid not null, "user_id" int not null, "kind" "session_kind" not null, "name" varchar(100) null, "boards" jsonb null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "created_by_id" int null, constraint "auth_session_pkey" primary key ("id"));`);
    this.addSql(`create index "auth_session_user_id_created_at_index" on "auth_session" ("user_id", "created_at");`);

    this.addSql(`create table "audit_entry" ("id" bigserial primary key, "at" timestamptz not null, "actor_id" int null, "action" varchar(40) not null, "entity_type" varchar(40) not null, "entity_id" varchar(64) not null, "indicator_code" varchar(20) null, "region_code" varchar(12) null, "before" jsonb null, "after" jsonb null);`);
    this.addSql(`create index "audit_entry_at_index" on "audit_entry" ("at");`);
    this.addSql(`create index "audit_entry_actor_id_id_index" on "audit_entry" ("actor_id", "id");`);
    this.addSql(`create index "audit_entry_indicator_code_region_code_id_index" on "audit_entry" ("indicator_code", "region_code", "id");`);
    this.addSql(`create index "audit_entry_entity_type_entity_id_id_index" on "audit_entry" ("entity_type", "entity_id", "id");`);

    this.addSql(`alter table "urge" add constraint "urge_indicator_id_foreign" foreign key ("indicator_id") references "indicator" ("id") on update cascade;`);
    this.addSql(`alter table "urge" add constraint "urge_region_code_foreign" foreign key ("region_code") references "region" ("code") on update cascade;`);
    this.addSql(`alter table "urge" add constraint "urge_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id") on update cascade;`);
    this.addSql(`alter table "urge" add constraint "urge_resolved_by_id_foreign" foreign key ("resolved_by_id") references "submission" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "auth_session" add constraint "auth_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade;`);
    this.addSql(`alter table "auth_session" add constraint "auth_session_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "audit_entry" add constraint "audit_entry_actor_id_foreign" foreign key ("actor_id") references "app_user" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "programme" add column "counted_statuses" text[] not null default '{SUBMITTED,APPROVED}';`);

    this.addSql(`alter table "indicator" add column "reporting_cycle" "reporting_cycle" not null default 'MONTHLY', add column "version" int not null default 1;`);

    this.addSql(`alter type "role" add value if not exists 'LEADER' after 'ADMIN';`);

    this.addSql(`alter table "app_user" add column "disabled_at" timestamptz null;`);

    this.addSql(`alter table "comment" add column "kind" "comment_kind" not null default 'COMMENT';`);

    // The audit trail is append-only: the database itself refuses to change or delete an entry.
    this.addSql(`create function audit_entry_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit entries cannot be changed or deleted' using errcode = 'insufficient_privilege';
      end $$;`);
    this.addSql(`create trigger audit_entry_no_update before update or delete on "audit_entry" for each row execute function audit_entry_append_only();`);
    this.addSql(`create trigger audit_entry_no_truncate before truncate on "audit_entry" for each statement execute function audit_entry_append_only();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_attempt" cascade;`);

    this.addSql(`drop table if exists "urge" cascade;`);

    this.addSql(`drop table if exists "auth_session" cascade;`);

    this.addSql(`drop table if exists "audit_entry" cascade;`);
    this.addSql(`drop function if exists audit_entry_append_only();`);

    this.addSql(`alter table "app_user" drop column "disabled_at";`);

    this.addSql(`alter table "comment" drop column "kind";`);

    this.addSql(`alter table "indicator" drop column "reporting_cycle", drop column "version";`);

    this.addSql(`alter table "programme" drop column "counted_statuses";`);

    this.addSql(`drop type "reporting_cycle";`);
    this.addSql(`drop type "comment_kind";`);
    this.addSql(`drop type "session_kind";`);
  }

}
