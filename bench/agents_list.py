"""The agents' list over millions of experiences in PostgreSQL: p50/p99 of `GET /experiences`
per scope and filter.

    .venv/bin/python bench/agents_list.py [--experiences 1000000] [--networks 1] [--regions 20]
        [--locals-per-region 100] [--requests 400] [--explain] [--write-docs]
    .venv/bin/python bench/agents_list.py --experiences 10000000 --networks 10 --regions 20 \\
        --locals-per-region 50 --requests 300          # the 10 M run of docs/benchmarks.md

Creates a database `spp_bench_list_<random>` on TEST_DATABASE_URL's server (default the local
one), migrates experiences, fills it with SQL (`generate_series`, secondary indexes dropped
during the fill and built again after, as the migrations define them), then calls the real
Flask app in-process with agents' tokens, so the figures are the API's own (routing, auth,
query, JSON). The database is dropped at the end (`--keep` keeps it and `--database NAME`
measures an existing one again: for EXPLAIN work, drop it by hand after).

Structures: per network one national structure, `--regions` regional ones and
`--locals-per-region` local offices under each; experiences spread evenly over every local
office of every network, five statuses, text from a few dozen phrases (so a search term
matches a share of them, as real words do). An agent's scope is one office or one region with
its offices: most experiences are elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.chassis.auth import TokenVerifier  # noqa: E402
from services.chassis.config import Settings  # noqa: E402
from services.chassis.db import migrate  # noqa: E402
from services.chassis.permissions import permissions_for  # noqa: E402
from services.chassis.startup import freeze_start_up  # noqa: E402
from services.experiences.app import create_app  # noqa: E402

SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
if SERVER.startswith("postgresql://"):
    SERVER = "postgresql+psycopg://" + SERVER.removeprefix("postgresql://")

# What the titles and bodies are made of: a search for one of these words finds a share of
# the experiences (« téléphone »: 1 title in 12, plus the bodies that name it).
TITLES = ["Accueil au guichet", "Attente au téléphone", "Dossier perdu", "Rendez-vous annulé",
          "Réponse rapide", "Courrier sans réponse", "Agent très aimable", "Site en panne",
          "Pièce justificative refusée", "Délai de traitement", "Erreur de calcul",
          "Accompagnement personnalisé"]
BODIES = ["J'ai attendu longtemps avant d'être reçu.", "L'agent a pris le temps de m'expliquer.",
          "Personne ne répond au téléphone depuis deux semaines.",
          "Mon dossier a été traité en trois jours, merci.",
          "On m'a demandé trois fois les mêmes documents.",
          "Le formulaire en ligne ne fonctionne pas sur mon téléphone.",
          "Je n'ai reçu aucun courrier malgré mes relances.", "Très bon accueil, efficace."]
SEARCH_TERM = "téléphone"


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


STATUSES = ("to_process", "awaiting_validation", "answered", "answered", "rejected")


def fill(engine: sa.Engine, n: int, networks: int, regions: int, locals_per_region: int,
         chunk: int = 1_000_000, progress=print, statuses: tuple[str, ...] = STATUSES) -> None:
    """Networks, their trees and `n` experiences, by SQL: local office L (1-based, over every
    network) is `l<L>`, under region `r<1 + (L-1) // locals_per_region>`, under `nat<k>`."""
    total_locals = networks * regions * locals_per_region
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO networks (id, code, name, requires_validation, target_delay_days) "
            "SELECT 'net' || k, 'NET' || k, 'Réseau ' || k, true, 15 "
            "FROM generate_series(1, :n) k"), {"n": networks})
        conn.execute(sa.text(
            "INSERT INTO structures (id, network_id, parent_id, name) "
            "SELECT 'nat' || k, 'net' || k, NULL, 'Direction nationale ' || k "
            "FROM generate_series(1, :n) k"), {"n": networks})
        conn.execute(sa.text(
            "INSERT INTO structures (id, network_id, parent_id, name) "
            "SELECT 'r' || r, 'net' || (1 + (r - 1) / :regions), 'nat' || (1 + (r - 1) / :regions), "
            "'Direction régionale ' || r FROM generate_series(1, :n) r"),
            {"regions": regions, "n": networks * regions})
        conn.execute(sa.text(
            "INSERT INTO structures (id, network_id, parent_id, name, postal_code, city) "
            "SELECT 'l' || l, 'net' || (1 + (l - 1) / :per_network), "
            "'r' || (1 + (l - 1) / :lpr), 'Agence ' || l, "
            "lpad((1000 + l % 94000)::text, 5, '0'), 'Ville ' || l "
            "FROM generate_series(1, :n) l"),
            {"per_network": regions * locals_per_region, "lpr": locals_per_region,
             "n": total_locals})
    # Secondary indexes out during the fill, built again after from their own definitions.
    with engine.connect() as conn:
        indexes = conn.execute(sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'experiences' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)")).all()
    with engine.begin() as conn:
        for name, _ in indexes:
            conn.execute(sa.text(f'DROP INDEX "{name}"'))
    status_array = _sql_array(list(statuses))
    for start in range(1, n + 1, chunk):
        stop = min(n, start + chunk - 1)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
            conn.execute(sa.text(f"""
                INSERT INTO experiences (id, status, title, body, published_body, edited,
                    structure_hint, postal_code, channel, occurred_on, feeling, author_name,
                    author_email, structure_id, network_id, submitted_at, published_at,
                    first_response_at, response_body, general_tags, business_tags,
                    channel_feelings, improvement_to_consider)
                SELECT md5(g::text)::uuid::text, st, t, b, CASE WHEN st <> 'rejected' THEN b END,
                       false, 'Agence', lpad((g % 95000 + 1000)::text, 5, '0'),
                       (ARRAY['in_person','phone','mail','email','online','other'])[1 + g % 6],
                       DATE '2024-01-01' + (g % 700)::int,
                       (ARRAY['positive','neutral','negative'])[1 + g % 3],
                       'Usager', 'u' || g || '@example.org', 'l' || loc,
                       'net' || (1 + (loc - 1) / {regions * locals_per_region}),
                       now() - (g % 700) * interval '1 day' - (g % 997) * interval '1 second',
                       CASE WHEN st <> 'rejected'
                            THEN now() - (g % 690) * interval '1 day' END,
                       CASE WHEN st = 'answered' THEN now() - (g % 600) * interval '1 day' END,
                       CASE WHEN st IN ('answered', 'awaiting_validation')
                            THEN 'Bonjour, merci pour votre message.' END,
                       '[]', '[]', '[]', false
                FROM (SELECT g, 1 + g % {total_locals} AS loc,
                             ({status_array})[1 + (g / {total_locals}) % {len(statuses)}] AS st,
                             ({_sql_array(TITLES)})[1 + (g / 7) % {len(TITLES)}] AS t,
                             ({_sql_array(BODIES)})[1 + (g / 11) % {len(BODIES)}] AS b
                      FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) g) s"""),
                {"start": start, "stop": stop})
        progress(f"  rows {start:,}–{stop:,} in {time.perf_counter() - t0:.0f} s")
    with engine.begin() as conn:
        conn.execute(sa.text("SET maintenance_work_mem = '1GB'"))
        for name, definition in indexes:
            t0 = time.perf_counter()
            conn.execute(sa.text(definition))
            size = conn.execute(sa.text("SELECT pg_size_pretty(pg_relation_size(:name))"),
                                {"name": name}).scalar()
            progress(f"  index {name} in {time.perf_counter() - t0:.0f} s, {size}")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE experiences"))
        conn.execute(sa.text("VACUUM ANALYZE structures"))


class Statements:
    """The SQL statements (and parameters) the app sends, to EXPLAIN them."""

    def __init__(self):
        self.seen: list[tuple[str, object]] = []
        self.on = False
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, _many):
        if self.on:
            self.seen.append((statement, parameters))


def explain(url: str, statements: list[tuple[str, object]]) -> str:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    out = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                        parameters).scalars().all()
            out.append(statement + "\n" + repr(parameters)[:400] + "\n" + "\n".join(plan))
    engine.dispose()
    return "\n\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiences", type=int, default=1_000_000)
    parser.add_argument("--networks", type=int, default=1)
    parser.add_argument("--regions", type=int, default=20, help="per network")
    parser.add_argument("--locals-per-region", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400, help="per scenario")
    parser.add_argument("--scenarios", default="",
                        help="only the scenarios whose label holds one of these, ';'-separated")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of each scenario's queries")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--database", help="measure this already filled database (kept)")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    total_locals = args.networks * args.regions * args.locals_per_region

    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = args.database or f"spp_bench_list_{uuid.uuid4().hex[:8]}"
    url = sa.engine.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    if not args.database:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        print(f"database {name}", flush=True)
    fill_s = None
    try:
        if not args.database:
            migrate("experiences", url)
            t0 = time.perf_counter()
            fill(sa.create_engine(url, poolclass=sa.pool.NullPool), args.experiences,
                 args.networks, args.regions, args.locals_per_region,
                 progress=lambda line: print(line, flush=True))
            fill_s = time.perf_counter() - t0
            print(f"filled {args.experiences:,} experiences in {fill_s:.0f} s", flush=True)
        else:
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)  # what it holds
            with engine.connect() as conn:
                args.experiences = conn.execute(sa.text(
                    "SELECT count(*) FROM experiences")).scalar()
            engine.dispose()
        statements = Statements()

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid="bench", alg="RS256", use="sig")
        app = create_app(Settings.from_env("experiences", database_url=url),
                         verifier=TokenVerifier("experiences", "spp-identity",
                                                keys={"keys": [jwk]}))
        client = app.test_client()
        freeze_start_up()  # as gunicorn's post_worker_init does for every web worker

        def token(structure_ids, profile="agent"):
            now = int(time.time())
            local = int(structure_ids[0][1:])
            network = 1 + (local - 1) // (args.regions * (
                args.locals_per_region if structure_ids[0][0] == "l" else 1))
            claims = {"iss": "spp-identity", "aud": ["experiences"], "sub": uuid.uuid4().hex,
                      "jti": uuid.uuid4().hex, "iat": now, "exp": now + 900, "profile": profile,
                      "perms": sorted(permissions_for(profile, ["answer"])),
                      "missions": ["answer"], "network_id": f"net{network}",
                      "structure_ids": structure_ids}
            return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="RS256",
                                                              headers={"kid": "bench"})}

        def office():
            return token([f"l{random.randint(1, total_locals)}"])

        def region():
            return token([f"r{random.randint(1, args.networks * args.regions)}"], "super_agent")

        term = "t%C3%A9l%C3%A9phone"  # SEARCH_TERM, as the gateway sends it
        children = "include_children=true"
        scenarios = {
            "local office, first page": lambda: (office(), "/experiences?per_page=20"),
            "local office, to process": lambda: (
                office(), "/experiences?status=to_process&per_page=20"),
            "local office, text search": lambda: (office(), f"/experiences?q={term}&per_page=20"),
            "local office, page 10": lambda: (office(), "/experiences?per_page=20&page=10"),
            "region with its offices, first page": lambda: (
                region(), f"/experiences?{children}&per_page=20"),
            "region with its offices, to process": lambda: (
                region(), f"/experiences?status=to_process&{children}&per_page=20"),
            "region with its offices, text search": lambda: (
                region(), f"/experiences?q={term}&{children}&per_page=20"),
            # A word in no experience: the worst case, every experience of the region is read.
            "region with its offices, search of a word found nowhere": lambda: (
                region(), f"/experiences?q=introuvable&{children}&per_page=20"),
            "region with its offices, page 50 to process": lambda: (
                region(), f"/experiences?status=to_process&{children}&per_page=20&page=50"),
        }
        if args.scenarios:
            wanted = [w.strip() for w in args.scenarios.split(";") if w.strip()]
            scenarios = {k: v for k, v in scenarios.items() if any(w in k for w in wanted)}
        results = {}
        for label, make in scenarios.items():
            for _ in range(20):  # warm caches and the pool
                headers, path = make()
                client.get(path, headers=headers)
            if args.explain:
                headers, path = make()
                statements.seen, statements.on = [], True
                client.get(path, headers=headers)
                statements.on = False
                print(f"--- {label}: {path}\n{explain(url, statements.seen)}\n", flush=True)
            times = []
            for _ in range(args.requests):
                headers, path = make()
                t = time.perf_counter()
                response = client.get(path, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
            times.sort()
            results[label] = (statistics.median(times), times[int(0.99 * (len(times) - 1))],
                              response.get_json()["total"])
            print(f"{label}: p50 {results[label][0]:.1f} ms, p99 {results[label][1]:.1f} ms, "
                  f"total {results[label][2]:,}", flush=True)
    finally:
        if not (args.keep or args.database):
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        elif not args.database:
            print(f"kept database {name}: DROP DATABASE \"{name}\" when done")

    lines = [f"| {label} | {p50:.1f} | {p99:.1f} | {total:,} |"
             for label, (p50, p99, total) in results.items()]
    table = ("| scope | p50 ms | p99 ms | total of last answer |\n|---|---:|---:|---:|\n"
             + "\n".join(lines))
    print(table)
    worst = max(p99 for _, p99, _ in results.values())
    print(f"agents' list: p99 {worst:.1f} ms over {args.experiences:,} experiences "
          "(target < 50 ms)")
    if args.write_docs:
        write_docs(args, table, worst, fill_s)
    return 0


def write_docs(args, table: str, worst: float, fill_s: float | None) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    text = docs.read_text() if docs.exists() else "# Benchmarks\n"
    title = f"## Agents' list with {args.experiences:,} experiences"
    text = re.sub(r"\n" + re.escape(title) + r"\n.*?(?=\n## |\Z)", "", text, flags=re.S)
    command = (f".venv/bin/python bench/agents_list.py --experiences {args.experiences} "
               f"--networks {args.networks} --regions {args.regions} --locals-per-region "
               f"{args.locals_per_region} --requests {args.requests}")
    text += (f"\n{title}\n\n"
             f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `{command}` on "
             f"{os.cpu_count()} CPUs, PostgreSQL on the same machine"
             + (f" (filled in {fill_s / 60:.0f} min)" if fill_s else "") + ". "
             f"{args.networks} network(s), each with 1 national, {args.regions} regional and "
             f"{args.regions * args.locals_per_region:,} local structures; experiences spread "
             "evenly over the local offices and five statuses. Each request goes through the "
             "real Flask app in-process (token check, scope, query, JSON) with a fresh agent "
             f"token; {args.requests} requests per scenario after 20 warm-up ones; search term "
             f"« {SEARCH_TERM} ».\n\n{table}\n\nWorst p99: {worst:.1f} ms (target < 50 ms).\n")
    docs.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
