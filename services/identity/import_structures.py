"""python -m services.identity.import_structures NETWORK_CODE FILE.csv

Imports a network's structures from CSV (columns: name, parent_name, postal_code, city,
channels separated by `|`). A parent is named by an earlier row or an existing structure of the
network. Every bad row is reported with its line number; the good rows are imported together,
each with its structure.created event.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from services.chassis.catalogue import EventType
from services.chassis.config import Settings
from services.chassis.db import Database
from services.chassis.events import publish
from services.identity.models import Network, Structure
from services.identity.schemas import StructureIn
from services.identity.service import SERVICE, structure_payload

REQUIRED_COLUMNS = {"name"}


@dataclass
class ImportReport:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _rows(stream: TextIO) -> Iterable[tuple[int, dict]]:
    reader = csv.DictReader(stream)
    missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"colonnes manquantes : {', '.join(sorted(missing))}")
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # a field past csv's limit, a stray quote: the file is unreadable
            raise ValueError(f"ligne {reader.line_num + 1} illisible ({exc}) : rien n'a été importé") \
                from None
        yield reader.line_num, {str(k).strip(): (v or "").strip() if isinstance(v, str) else ""
                                for k, v in row.items() if k}


def import_structures(session: Session, network_code: str, stream: TextIO) -> ImportReport:
    network = session.scalars(sa.select(Network).where(Network.code == network_code)).first()
    if network is None:
        raise ValueError(f"réseau inconnu : {network_code}")
    by_name = {name.lower(): sid for sid, name in session.execute(
        sa.select(Structure.id, Structure.name).where(Structure.network_id == network.id))}
    report = ImportReport()
    schema = StructureIn()
    for line, row in _rows(stream):
        parent_name = row.get("parent_name", "")
        parent_id = by_name.get(parent_name.lower()) if parent_name else None
        if parent_name and parent_id is None:
            report.errors.append((line, f"parent_name : structure parente inconnue « {parent_name} »"))
            continue
        channels = [c.strip() for c in row.get("channels", "").split("|") if c.strip()]
        try:
            data = schema.load({"network_id": network.id, "parent_id": parent_id,
                                "name": row.get("name", ""),
                                "postal_code": row.get("postal_code") or None,
                                "city": row.get("city") or None, "channels": channels})
        except ValidationError as exc:
            report.errors.append((line, "; ".join(f"{k} : {' '.join(map(str, v))}"
                                                  for k, v in exc.messages.items())))
            continue
        if not data["name"].strip():
            report.errors.append((line, "name : nom manquant"))
            continue
        if data["name"].lower() in by_name:
            report.errors.append((line, f"name : « {data['name']} » existe déjà dans ce réseau"))
            continue
        structure = Structure(**data)
        session.add(structure)
        session.flush()
        publish(session, EventType.STRUCTURE_CREATED, structure_payload(structure),
                producer=SERVICE)
        by_name[data["name"].lower()] = structure.id
        report.created += 1
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    db = Database(Settings.from_env(SERVICE).database_url)
    try:
        with open(argv[1], encoding="utf-8-sig", newline="") as stream, \
                db.transaction() as session:
            report = import_structures(session, argv[0], stream)
    except (ValueError, OSError) as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 1
    for line, message in report.errors:
        print(f"ligne {line} : {message}", file=sys.stderr)
    print(f"{report.created} structures importées, {len(report.errors)} lignes refusées")
    return 0 if not report.errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
