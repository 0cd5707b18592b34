import { Migration } from '@mikro-orm/migrations';

export class Migration20261201115357 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "channel_kind" as enum ('DINGTALK', 'WECOM', 'WEBHOOK');`);
    this.addSql(`create type "channel_event" as enum ('NOTICE_ISSUED', 'NOTICE_RAISED', 'NOTICE_ESCALATED', 'NOTICE_STEP', 'URGE', 'INSTRUCTION', 'COMMENT');`);
    this.addSql(`create type "delivery_status" as enum ('PENDING', 'SENT', 'FAILED');`);
    this.addSql(`create table "channel" ("id" bigserial primary key, "name" text not null, "kind" "channel_kind" not null, "url" text not null, "secret" text null, "programmes" text[] not null default '{}', "regions" text[] not null default '{}', "events" text[] not null default '{}', "from_seq" bigint not null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);

    this.addSql(`create table "delivery" ("id" uuid not null, "channel_id" bigint not null, "event_seq" bigint not null, "event" "channel_event" not null, "title" text not null, "text" text not null, "payload" jsonb not null, "status" "delivery_status" not null default 'PENDING', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "last_error" text null, "created_at" timestamptz not null, "sent_at" timestamptz null, constraint "delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "delivery_status_next_attempt_at_index" on "delivery" ("status", "next_attempt_at");`);
    this.addSql(`alter table "delivery" add constraint "delivery_channel_id_event_seq_unique" unique ("channel_id", "event_seq");`);

    this.addSql(`create table "delivery_cursor" ("id" boolean not null default true, "seq" bigint not null, constraint "delivery_cursor_pkey" primary key ("id"));`);

    this.addSql(`alter table "delivery" add constraint "delivery_channel_id_foreign" foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "delivery" drop constraint "delivery_channel_id_foreign";`);

    this.addSql(`drop table if exists "channel" cascade;`);

    this.addSql(`drop table if exists "delivery" cascade;`);

    this.addSql(`drop table if exists "delivery_cursor" cascade;`);

    this.addSql(`drop type "channel_kind";`);
    this.addSql(`drop type "channel_event";`);
    this.addSql(`drop type "delivery_status";`);
  }

}
