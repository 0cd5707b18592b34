import { Migration } from '@mikro-orm/migrations';

export class Migration20261201082345 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "interpolation" as enum ('STEP', 'LINEAR');`);
    this.addSql(`create table "trajectory" ("id" bigserial primary key, "target_id" int not null, "version" int not null, "interpolation" "interpolation" not null, "starts_on" date null, "milestones" jsonb not null, "derived" boolean not null default false, "note" text null, "set_by_id" int null, "set_at" timestamptz not null);`);
    this.addSql(`alter table "trajectory" add constraint "trajectory_target_id_version_unique" unique ("target_id", "version");`);

    this.addSql(`alter table "trajectory" add constraint "trajectory_target_id_foreign" foreign key ("target_id") references "target" ("id") on update cascade;`);
    this.addSql(`alter table "trajectory" add constraint "trajectory_set_by_id_foreign" foreign key ("set_by_id") references "app_user" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "trajectory" cascade;`);

    this.addSql(`drop type "interpolation";`);
  }

}
