"""What a process builds to serve (modules, the app, its caches, a model) lives as long as it
does: the garbage collector need not walk it again and again."""

from __future__ import annotations

import gc


def freeze_start_up() -> None:
    """Collect once, then move every object start-up left into the collector's permanent
    generation: a full collection walks only what serving created since. Full collections
    otherwise walked the whole app at every turn, the slowest requests of a busy list waiting
    for them (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
