-- Run once by the postgres image when it makes its cluster (docker-entrypoint-initdb.d): the role
-- the Duban instances run as. It owns nothing and is no superuser; at each start Duban, migrating as
-- POSTGRES_USER (DATABASE_MIGRATION_URL), grants it what the server needs and no more, so the
-- audit trail and the submissions stay append-only against its credentials.
create role duban_app with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password 'duban_app';
