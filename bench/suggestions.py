"""Routing suggestions over 50,000 structures (DOMAIN.md's volume), in-process.

    .venv/bin/python bench/suggestions.py [--structures 50000]

Scores every active structure for one case, the way `GET /cases/{id}` does: the first case of a
process (cold: each structure's name and city normalised once) and the next ones (warm).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.moderation import domain  # noqa: E402

CITIES = ["Lyon", "Paris", "Marseille", "Saint-Denis", "Lille", "Nantes", "Rennes", "Bordeaux"]
KINDS = ["CAF", "CPAM", "France Travail", "Préfecture", "Sous-préfecture", "Mairie", "URSSAF",
         "Impôts SIP"]
BODY = ("J'ai attendu deux heures au guichet, l'agent était aimable mais mon dossier était "
        "incomplet et personne ne me l'avait dit au téléphone. ") * 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--structures", type=int, default=50_000)
    parser.add_argument("--cases", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(1)
    structures = [domain.StructureRef(str(i), f"{rng.choice(KINDS)} de {rng.choice(CITIES)} {i}",
                                      f"{rng.randint(1000, 95999):05d}", rng.choice(CITIES))
                  for i in range(args.structures)]
    timings = []
    for _ in range(args.cases + 1):
        kind, city = rng.choice(KINDS), rng.choice(CITIES)
        t = time.perf_counter()
        domain.suggest_structures(structures, f"{rng.randint(1000, 95999):05d}",
                                  f"{kind} de {city}", f"Accueil à {city}\n{BODY}")
        timings.append(time.perf_counter() - t)
    warm = timings[1:]
    print(f"suggestions over {args.structures} structures: first case {timings[0] * 1000:.0f} ms, "
          f"then median {statistics.median(warm) * 1000:.0f} ms, max {max(warm) * 1000:.0f} ms "
          f"({args.cases} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
