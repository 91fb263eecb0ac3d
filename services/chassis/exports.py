"""Cells of a CSV export that a spreadsheet opens as text, never as a formula."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# What a spreadsheet reads as the start of a formula (full-width forms included: some
# applications fold them), or a control character that moves to another cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """`value`, with a leading apostrophe when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_row(row: Mapping[str, Any] | Iterable[Any]):
    """A CSV row (a dict for csv.DictWriter, a sequence for csv.writer) made safe."""
    if isinstance(row, Mapping):
        return {key: spreadsheet_cell(value) for key, value in row.items()}
    return [spreadsheet_cell(value) for value in row]
