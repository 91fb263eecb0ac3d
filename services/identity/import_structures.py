"""python -m services.identity.import_structures NETWORK_CODE FILE.csv

Imports a network's structures from CSV (columns: name, parent_name, postal_code, city,
channels separated by `|`; commas or semicolons between columns). A parent is named by an
earlier row or an existing structure of the network. Every bad row is reported with its line
number; the good rows are imported together, each with its structure.created event. A file that
cannot be read (a missing column, a broken quote, too many rows) imports nothing.

The same logic serves identity's `POST /structures/import` (the administration pages' upload).
"""

from __future__ import annotations

import csv
import io
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
from services.chassis.errors import in_french
from services.chassis.events import publish
from services.identity.models import Network, Structure
from services.identity.schemas import StructureIn
from services.identity.service import SERVICE, structure_payload

REQUIRED_COLUMNS = {"name"}
KNOWN_COLUMNS = ("name", "parent_name", "postal_code", "city", "channels")
MAX_ROWS = 5000  # one request's worth; a bigger tree goes in several files or through the CLI


class Unreadable(ValueError):
    """The file as a whole cannot be imported: nothing is."""


@dataclass
class RowError:
    line: int
    column: str | None
    message: str

    def __iter__(self):  # (line, message), as the command line prints them
        return iter((self.line, f"{self.column} : {self.message}" if self.column
                     else self.message))

    def __getitem__(self, index: int):
        return tuple(self)[index]


@dataclass
class ImportReport:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)


def _dialect(stream: TextIO) -> tuple[TextIO, str]:
    """The delimiter of the header line: a spreadsheet saved in French uses semicolons."""
    text = stream.read()
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return io.StringIO(text), delimiter


def _rows(stream: TextIO) -> Iterable[tuple[int, dict]]:
    stream, delimiter = _dialect(stream)
    reader = csv.DictReader(stream, delimiter=delimiter)
    try:
        columns = [str(c).strip().lstrip("\ufeff").lower() for c in reader.fieldnames or []]
    except csv.Error as exc:
        raise Unreadable(f"ligne 1 illisible ({exc}) : rien n'a été importé") from None
    reader.fieldnames = columns
    missing = REQUIRED_COLUMNS - set(columns)
    if missing:
        raise Unreadable(f"colonnes manquantes : {', '.join(sorted(missing))} (colonnes "
                         f"attendues : {', '.join(KNOWN_COLUMNS)})")
    rows = iter(reader)
    count = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # a field past csv's limit, a stray quote: the file is unreadable
            raise Unreadable(f"ligne {reader.line_num + 1} illisible ({exc}) : rien n'a été "
                             "importé") from None
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line, or one of empty cells as spreadsheets leave at the end
        count += 1
        if count > MAX_ROWS:
            raise Unreadable(f"plus de {MAX_ROWS} structures dans le fichier : découpez-le, "
                             "rien n'a été importé")
        yield reader.line_num, {str(k).strip(): (v or "").strip() if isinstance(v, str) else ""
                                for k, v in row.items() if k}


def _texts(item) -> list[str]:
    if isinstance(item, dict):
        item = list(item.values())
    if isinstance(item, list | tuple):
        return [text for inner in item for text in _texts(inner)]
    return [str(item)]


def _messages(errors: dict) -> list[tuple[str, str]]:
    """marshmallow's errors of one row as (column, French message); a channel's error comes
    nested under its position in the list."""
    found = [(str(column), " ".join(dict.fromkeys(_texts(value))))
             for column, value in in_french(errors).items()]
    order = {column: i for i, column in enumerate(KNOWN_COLUMNS)}
    return sorted(found, key=lambda item: order.get(item[0], len(order)))  # the file's order


def import_into(session: Session, network: Network, stream: TextIO) -> ImportReport:
    """Import into `network`; raises Unreadable (and the caller's transaction rolls back)."""
    known = {name.lower(): (sid, active) for sid, name, active in session.execute(
        sa.select(Structure.id, Structure.name, Structure.active)
        .where(Structure.network_id == network.id))}
    report = ImportReport()
    schema = StructureIn()
    seen_rows = False
    for line, row in _rows(stream):
        seen_rows = True
        if not row.get("name"):
            report.errors.append(RowError(line, "name", "nom manquant"))
            continue
        parent_name = row.get("parent_name", "")
        parent = known.get(parent_name.lower()) if parent_name else None
        if parent_name and parent is None:
            report.errors.append(RowError(line, "parent_name",
                                          f"structure parente inconnue « {parent_name} »"))
            continue
        if parent is not None and not parent[1]:
            report.errors.append(RowError(line, "parent_name",
                                          f"la structure parente « {parent_name} » est désactivée"))
            continue
        channels = [c.strip() for c in row.get("channels", "").split("|") if c.strip()]
        try:
            data = schema.load({"network_id": network.id,
                                "parent_id": parent[0] if parent else None,
                                "name": row.get("name", ""),
                                "postal_code": row.get("postal_code") or None,
                                "city": row.get("city") or None, "channels": channels})
        except ValidationError as exc:
            for column, message in _messages(exc.messages):
                report.errors.append(RowError(line, column, message))
            continue
        if data["name"].lower() in known:
            report.errors.append(RowError(line, "name",
                                          f"« {data['name']} » existe déjà dans ce réseau"))
            continue
        structure = Structure(**data)
        session.add(structure)
        session.flush()
        publish(session, EventType.STRUCTURE_CREATED, structure_payload(structure),
                producer=SERVICE)
        known[data["name"].lower()] = (structure.id, True)
        report.created += 1
        report.created_ids.append(structure.id)
    if not seen_rows:
        raise Unreadable("le fichier ne contient aucune structure (seulement l'en-tête, ou rien)")
    return report


def import_structures(session: Session, network_code: str, stream: TextIO) -> ImportReport:
    # Codes are unique whatever their case (the API's rule): OPA180B21 is opa180b21.
    network = session.scalars(sa.select(Network).where(
        sa.func.lower(Network.code) == network_code.strip().lower())).first()
    if network is None:
        raise ValueError(f"réseau inconnu : {network_code}")
    return import_into(session, network, stream)


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
