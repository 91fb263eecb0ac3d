"""The agents' list with 1 M experiences in PostgreSQL: p50/p99 of `GET /experiences` per scope.

    .venv/bin/python bench/agents_list.py [--experiences 1000000] [--requests 400] [--write-docs]

Creates a database `spp_bench_list_<random>` on TEST_DATABASE_URL's server (default the local
one), migrates experiences, fills it with SQL (`generate_series`), then calls the real Flask app
in-process with agents' tokens, so the figures are the API's own (routing, auth, query, JSON).
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
from services.experiences.app import create_app  # noqa: E402

SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REGIONS, LOCALS_PER_REGION = 20, 100  # 2,000 local offices under 20 regional ones


def fill(engine: sa.Engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO networks (id, code, name, requires_validation, "
                             "target_delay_days) VALUES ('net', 'CAF', 'CAF', true, 15)"))
        conn.execute(sa.text("INSERT INTO structures (id, network_id, parent_id, name) "
                             "VALUES ('nat', 'net', NULL, 'National')"))
        conn.execute(sa.text(
            "INSERT INTO structures (id, network_id, parent_id, name) "
            "SELECT 'r' || r, 'net', 'nat', 'Région ' || r FROM generate_series(1, :n) r"),
            {"n": REGIONS})
        conn.execute(sa.text(
            "INSERT INTO structures (id, network_id, parent_id, name) "
            "SELECT 'l' || l, 'net', 'r' || (1 + l % :r), 'Agence ' || l "
            "FROM generate_series(1, :n) l"), {"r": REGIONS, "n": REGIONS * LOCALS_PER_REGION})
        conn.execute(sa.text(f"""
            INSERT INTO experiences (id, status, title, body, published_body, edited, structure_hint,
                postal_code, channel, occurred_on, feeling, author_name, author_email, structure_id,
                network_id, submitted_at, published_at, general_tags, business_tags,
                channel_feelings, improvement_to_consider)
            SELECT md5(g::text)::uuid::text,
                   (ARRAY['to_process','awaiting_validation','answered','answered','rejected'])
                       [1 + (g / {REGIONS * LOCALS_PER_REGION}) % 5],
                   'Expérience ' || g, 'Texte de l''expérience ' || g, 'Texte publié ' || g, false,
                   'Agence', lpad((g % 95000 + 1000)::text, 5, '0'),
                   (ARRAY['in_person','phone','mail','email','online','other'])[1 + g % 6],
                   DATE '2024-01-01' + (g % 700), (ARRAY['positive','neutral','negative'])[1 + g % 3],
                   'Usager', 'u' || g || '@example.org',
                   'l' || (1 + g % {REGIONS * LOCALS_PER_REGION}), 'net',
                   now() - (g % 700) * interval '1 day', now() - (g % 690) * interval '1 day',
                   '[]', '[]', '[]', false
            FROM generate_series(1, :n) g"""), {"n": n})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE experiences"))
        conn.execute(sa.text("VACUUM ANALYZE structures"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiences", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    name = f"spp_bench_list_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        migrate("experiences", url)
        t0 = time.perf_counter()
        fill(sa.create_engine(url, poolclass=sa.pool.NullPool), args.experiences)
        fill_s = time.perf_counter() - t0

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid="bench", alg="RS256", use="sig")
        app = create_app(Settings.from_env("experiences", database_url=url),
                         verifier=TokenVerifier("experiences", "spp-identity",
                                                keys={"keys": [jwk]}))
        client = app.test_client()

        def token(structure_ids):
            now = int(time.time())
            claims = {"iss": "spp-identity", "aud": ["experiences"], "sub": uuid.uuid4().hex,
                      "jti": uuid.uuid4().hex, "iat": now, "exp": now + 900, "profile": "agent",
                      "perms": sorted(permissions_for("agent", ["answer"])), "missions": ["answer"],
                      "network_id": "net", "structure_ids": structure_ids}
            return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="RS256",
                                                              headers={"kid": "bench"})}

        scenarios = {
            "local office, to process": lambda: (
                token([f"l{random.randint(1, REGIONS * LOCALS_PER_REGION)}"]),
                "/experiences?status=to_process&per_page=20"),
            "local office, text search": lambda: (
                token([f"l{random.randint(1, REGIONS * LOCALS_PER_REGION)}"]),
                "/experiences?q=Exp%C3%A9rience&per_page=20"),
            "region with its 100 offices": lambda: (
                token([f"r{random.randint(1, REGIONS)}"]),
                "/experiences?status=to_process&include_children=true&per_page=20"),
        }
        results = {}
        for label, make in scenarios.items():
            for _ in range(20):  # warm caches and the pool
                headers, path = make()
                client.get(path, headers=headers)
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
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    lines = [f"| {label} | {p50:.1f} | {p99:.1f} | {total:,} |"
             for label, (p50, p99, total) in results.items()]
    table = ("| scope | p50 ms | p99 ms | total of last answer |\n|---|---:|---:|---:|\n"
             + "\n".join(lines))
    print(f"filled {args.experiences:,} experiences in {fill_s:.0f} s\n{table}")
    worst = max(p99 for _, p99, _ in results.values())
    print(f"agents' list: p99 {worst:.1f} ms over {args.experiences:,} experiences (target < 50 ms)")
    if args.write_docs:
        docs = ROOT / "docs" / "benchmarks.md"
        text = docs.read_text() if docs.exists() else "# Benchmarks\n"
        text = re.sub(r"\n## Agents' list.*?(?=\n## |\Z)", "", text, flags=re.S)
        text += (f"\n## Agents' list with {args.experiences:,} experiences\n\n"
                 f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
                 f"`.venv/bin/python bench/agents_list.py --experiences {args.experiences} "
                 f"--requests {args.requests}` on {os.cpu_count()} CPUs, PostgreSQL on the same "
                 "machine. One network, 1 national, 20 regional and 2,000 local structures; "
                 "experiences spread evenly over the local offices and five statuses. Each request "
                 "goes through the real Flask app in-process (token check, scope, query, JSON) "
                 f"with a fresh agent token; {args.requests} requests per scope after 20 warm-up "
                 f"ones.\n\n{table}\n\nWorst p99: {worst:.1f} ms (target < 50 ms).\n")
        docs.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
