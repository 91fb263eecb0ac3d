-- One database per service: no service ever reads another's tables.
CREATE DATABASE spp_identity;
CREATE DATABASE spp_experiences;
CREATE DATABASE spp_moderation;
CREATE DATABASE spp_diagnostic;
CREATE DATABASE spp_notifier;
-- The services' queries are short: PostgreSQL's JIT compiles a large scan's plan for 8–17 ms and
-- never wins it back (docs/benchmarks.md, the agents' list). On a database made earlier, run
-- these by hand.
ALTER DATABASE spp_identity SET jit = off;
ALTER DATABASE spp_experiences SET jit = off;
ALTER DATABASE spp_moderation SET jit = off;
ALTER DATABASE spp_diagnostic SET jit = off;
ALTER DATABASE spp_notifier SET jit = off;
