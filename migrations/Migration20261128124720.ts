import { Migration } from '@mikro-orm/migrations';

export class Migration20261128124720 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "outbox_event" ("seq" bigint not null, "type" varchar(40) not null, "programme_id" int null, "region_code" varchar(12) null, "parent_code" varchar(12) null, "user_id" int null, "payload" jsonb not null, "created_at" timestamptz not null, constraint "outbox_event_pkey" primary key ("seq"));`);
    this.addSql(`create index "outbox_event_user_id_index" on "outbox_event" ("user_id");`);
    this.addSql(`create index "outbox_event_programme_seq_idx" on "outbox_event" ("programme_id", "seq");`);

    this.addSql(`create table "outbox_sequence" ("id" boolean not null default true, "last_seq" bigint not null, "pruned_through" bigint not null, constraint "outbox_sequence_pkey" primary key ("id"));`);
    // The one row of the sequence (id true); its row lock orders commits (see appendEvents).
    this.addSql(`insert into "outbox_sequence" ("id", "last_seq", "pruned_through") values (true, 0, 0);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "outbox_event" cascade;`);

    this.addSql(`drop table if exists "outbox_sequence" cascade;`);
  }

}
