-- One database per service, owned by a role of its own that alone may connect to it: a service
-- broken into reaches its own data only, and no service is a superuser (one could read every
-- database and run programs on the database's host).
--
-- postgres' entrypoint runs this file with psql when the data directory is new, the passwords
-- coming from the container's environment (\getenv; a missing one stops it). It can run
-- again: on a database made by an earlier version, where every service connected as `postgres`,
-- run it by hand once (docs/deploy.md, « Upgrading »): it adds what is missing and hands each
-- role its database and tables.
\set ON_ERROR_STOP on
-- `jit = off`: the services' queries are short, and PostgreSQL's JIT compiles a large scan's plan
-- for 8–17 ms and never wins it back (docs/benchmarks.md, the agents' list).

\unset password
\getenv password IDENTITY_DB_PASSWORD
\if :{?password}
\else
DO $$BEGIN RAISE EXCEPTION 'IDENTITY_DB_PASSWORD is not set: each role has a password of its own'; END$$;
\endif
SELECT 'CREATE ROLE spp_identity' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spp_identity')
\gexec
ALTER ROLE spp_identity LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT 'CREATE DATABASE spp_identity OWNER spp_identity' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'spp_identity')
\gexec
ALTER DATABASE spp_identity OWNER TO spp_identity;
REVOKE ALL ON DATABASE spp_identity FROM PUBLIC;
ALTER DATABASE spp_identity SET jit = off;

\unset password
\getenv password EXPERIENCES_DB_PASSWORD
\if :{?password}
\else
DO $$BEGIN RAISE EXCEPTION 'EXPERIENCES_DB_PASSWORD is not set: each role has a password of its own'; END$$;
\endif
SELECT 'CREATE ROLE spp_experiences' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spp_experiences')
\gexec
ALTER ROLE spp_experiences LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT 'CREATE DATABASE spp_experiences OWNER spp_experiences' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'spp_experiences')
\gexec
ALTER DATABASE spp_experiences OWNER TO spp_experiences;
REVOKE ALL ON DATABASE spp_experiences FROM PUBLIC;
ALTER DATABASE spp_experiences SET jit = off;

\unset password
\getenv password MODERATION_DB_PASSWORD
\if :{?password}
\else
DO $$BEGIN RAISE EXCEPTION 'MODERATION_DB_PASSWORD is not set: each role has a password of its own'; END$$;
\endif
SELECT 'CREATE ROLE spp_moderation' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spp_moderation')
\gexec
ALTER ROLE spp_moderation LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT 'CREATE DATABASE spp_moderation OWNER spp_moderation' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'spp_moderation')
\gexec
ALTER DATABASE spp_moderation OWNER TO spp_moderation;
REVOKE ALL ON DATABASE spp_moderation FROM PUBLIC;
ALTER DATABASE spp_moderation SET jit = off;

\unset password
\getenv password DIAGNOSTIC_DB_PASSWORD
\if :{?password}
\else
DO $$BEGIN RAISE EXCEPTION 'DIAGNOSTIC_DB_PASSWORD is not set: each role has a password of its own'; END$$;
\endif
SELECT 'CREATE ROLE spp_diagnostic' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spp_diagnostic')
\gexec
ALTER ROLE spp_diagnostic LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT 'CREATE DATABASE spp_diagnostic OWNER spp_diagnostic' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'spp_diagnostic')
\gexec
ALTER DATABASE spp_diagnostic OWNER TO spp_diagnostic;
REVOKE ALL ON DATABASE spp_diagnostic FROM PUBLIC;
ALTER DATABASE spp_diagnostic SET jit = off;

\unset password
\getenv password NOTIFIER_DB_PASSWORD
\if :{?password}
\else
DO $$BEGIN RAISE EXCEPTION 'NOTIFIER_DB_PASSWORD is not set: each role has a password of its own'; END$$;
\endif
SELECT 'CREATE ROLE spp_notifier' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'spp_notifier')
\gexec
ALTER ROLE spp_notifier LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT 'CREATE DATABASE spp_notifier OWNER spp_notifier' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'spp_notifier')
\gexec
ALTER DATABASE spp_notifier OWNER TO spp_notifier;
REVOKE ALL ON DATABASE spp_notifier FROM PUBLIC;
ALTER DATABASE spp_notifier SET jit = off;

-- Tables a superuser made (the earlier versions' migrations) go to the database's role, which
-- migrates them from now on; their indexes and sequences follow them.
\connect spp_identity
SELECT format('ALTER TABLE public.%I OWNER TO spp_identity', tablename) FROM pg_tables
 WHERE schemaname = 'public' AND tableowner <> 'spp_identity'
\gexec
\connect spp_experiences
SELECT format('ALTER TABLE public.%I OWNER TO spp_experiences', tablename) FROM pg_tables
 WHERE schemaname = 'public' AND tableowner <> 'spp_experiences'
\gexec
\connect spp_moderation
SELECT format('ALTER TABLE public.%I OWNER TO spp_moderation', tablename) FROM pg_tables
 WHERE schemaname = 'public' AND tableowner <> 'spp_moderation'
\gexec
\connect spp_diagnostic
SELECT format('ALTER TABLE public.%I OWNER TO spp_diagnostic', tablename) FROM pg_tables
 WHERE schemaname = 'public' AND tableowner <> 'spp_diagnostic'
\gexec
\connect spp_notifier
SELECT format('ALTER TABLE public.%I OWNER TO spp_notifier', tablename) FROM pg_tables
 WHERE schemaname = 'public' AND tableowner <> 'spp_notifier'
\gexec
