"""The event map: which service publishes each catalogued event, and which services consume it.

Nothing here is written by hand. Events and versions come from the catalogue; consumers from each
service's `HANDLERS` (the keys its worker binds its queue to, revocation handlers included);
producers from a scan of each service's source for calls to `services.chassis.events.publish`
whose event type is an `EventType` member (directly, through a conditional expression, or through
a local name assigned one). A call whose type the scan cannot resolve is an error, not a gap.

    python -m services.chassis.event_map            # print the table
    python -m services.chassis.event_map --write    # rewrite the block in docs/architecture.md
    python -m services.chassis.event_map --check    # exit 1 when the block is out of date
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from collections import defaultdict
from dataclasses import dataclass

from services.chassis import events
from services.chassis.catalogue import CATALOGUE, TEST_EVENT, EventType
from services.chassis.config import ROOT

SERVICES_DIR = ROOT / "services"
DOC = ROOT / "docs" / "architecture.md"
START = "<!-- event-map:start -->"
END = "<!-- event-map:end -->"
COMMAND = "python -m services.chassis.event_map --write"
NOT_SCANNED = {"chassis", "node_modules", "migrations", "__pycache__"}

_PUBLISH = f"{events.__name__}.publish"
_EVENT_TYPE = f"{EventType.__module__}.EventType"
_PUBLISH_PARAMS = list(inspect.signature(events.publish).parameters)
_DEFAULT_VERSION = inspect.signature(events.publish).parameters["version"].default


class UnresolvedEvent(ValueError):
    """A `publish` call whose event type the scan cannot name."""


@dataclass(frozen=True)
class Row:
    producer: str
    event_type: str
    version: int
    consumers: tuple[str, ...]


def services() -> list[str]:
    """The service packages under services/, the chassis aside."""
    return sorted(p.name for p in SERVICES_DIR.iterdir()
                  if (p / "__init__.py").is_file() and p.name not in NOT_SCANNED)


def catalogued() -> list[tuple[str, int]]:
    """The catalogue's (event type, version), in its order; the chassis' test event left out."""
    return [(str(t), v) for t, v in CATALOGUE if t != TEST_EVENT]


def subscriptions() -> dict[str, frozenset[str]]:
    """Each service's subscribed event types: its `HANDLERS`, which its worker binds its queue to."""
    found = {}
    for service in services():
        if (SERVICES_DIR / service / "handlers.py").is_file():
            handlers = importlib.import_module(f"services.{service}.handlers").HANDLERS
            found[service] = frozenset(str(t) for t in handlers)
    return found


# --- producers: a scan of the services' source ---------------------------------------------------

def _imports(tree: ast.Module) -> dict[str, str]:
    """Each name a module's imports bind, with the dotted name it stands for."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            bound.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        elif isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.partition(".")[0]  # `import a.b` binds `a`
                bound[a.asname or top] = a.name if a.asname else top
    return bound


def _qualified(node: ast.expr, imports: dict[str, str]) -> str | None:
    """`events.publish` → `services.chassis.events.publish` when `events` is that module."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imports:
        return None
    return ".".join([imports[node.id], *reversed(parts)])


def _parents(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


_SCOPE = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.Module
_NESTED = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef


def _own_nodes(scope: ast.AST):
    """The nodes of a scope, those of the functions and classes inside it left out."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, _NESTED):
            todo.extend(ast.iter_child_nodes(node))


def _assigned(scope: ast.AST, name: str) -> list[ast.expr]:
    """The values a scope assigns to `name`."""
    values = []
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                values.append(node.value)
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            if isinstance(node.target, ast.Name) and node.target.id == name:
                values.append(node.value)
    return values


def _event_types(node: ast.expr, parents: dict, imports: dict[str, str], where: str) -> set[str]:
    """The event types an expression may hold."""
    if isinstance(node, ast.Attribute) and _qualified(node.value, imports) == _EVENT_TYPE \
            and node.attr in EventType.__members__:
        return {str(EventType[node.attr])}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return (_event_types(node.body, parents, imports, where)
                | _event_types(node.orelse, parents, imports, where))
    if isinstance(node, ast.Name):
        scope = parents.get(node)
        while scope is not None:
            if isinstance(scope, _SCOPE):
                values = _assigned(scope, node.id)
                if values:
                    return set().union(*(_event_types(v, parents, imports, where)
                                         for v in values))
            scope = parents.get(scope)
    raise UnresolvedEvent(f"{where}:{node.lineno}: cannot tell which event type "
                          f"`{ast.unparse(node)}` is; publish an EventType member")


def _argument(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    position = _PUBLISH_PARAMS.index(name)
    return call.args[position] if len(call.args) > position else None


def published_in(source: str, where: str = "<source>") -> set[tuple[str, int]]:
    """The (event type, version) that a module's `publish` calls write to the outbox."""
    tree = ast.parse(source, where)
    imports = _imports(tree)
    parents = _parents(tree)
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _qualified(node.func, imports) == _PUBLISH):
            continue
        event = _argument(node, "event_type")
        if event is None:
            raise UnresolvedEvent(f"{where}:{node.lineno}: publish() without an event type")
        version = _argument(node, "version")
        if version is None:
            number = _DEFAULT_VERSION
        elif isinstance(version, ast.Constant) and isinstance(version.value, int):
            number = version.value
        else:
            raise UnresolvedEvent(f"{where}:{node.lineno}: the version must be a literal integer")
        found |= {(t, number) for t in _event_types(event, parents, imports, where)}
    return found


def publications() -> dict[tuple[str, int], frozenset[str]]:
    """(event type, version) → the services whose source publishes it."""
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    for service in services():
        for path in sorted((SERVICES_DIR / service).rglob("*.py")):
            if NOT_SCANNED.intersection(path.relative_to(SERVICES_DIR / service).parts):
                continue
            where = str(path.relative_to(ROOT))
            for key in published_in(path.read_text(encoding="utf-8"), where):
                found[key].add(service)
    return {key: frozenset(names) for key, names in found.items()}


# --- the map ---------------------------------------------------------------------------------------

def rows() -> list[Row]:
    """One row per producer of each catalogued event (producer "" when none), in catalogue order."""
    producers = publications()
    subscribed = subscriptions()
    result = []
    for event_type, version in catalogued():
        consumers = tuple(sorted(s for s, types in subscribed.items() if event_type in types))
        for producer in sorted(producers.get((event_type, version), ())) or [""]:
            result.append(Row(producer, event_type, version, consumers))
    return result


def markdown() -> str:
    lines = ["| producer | event | version | consumers |", "|---|---|---|---|"]
    for row in rows():
        lines.append(f"| {row.producer or '—'} | `{row.event_type}` | {row.version} | "
                     f"{', '.join(row.consumers) or '—'} |")
    return "\n".join(lines) + "\n"


def block(text: str) -> str:
    """What stands between the markers of a document."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start or text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"expected one {START} then one {END}")
    return text[start + len(START):end].strip("\n") + "\n"


def rewrite(text: str, table: str) -> str:
    block(text)  # the markers are there, once each
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str]) -> int:
    table = markdown()
    if "--write" in argv:
        DOC.write_text(rewrite(DOC.read_text(encoding="utf-8"), table), encoding="utf-8")
        print(f"wrote the event map in {DOC.relative_to(ROOT)}")
    elif "--check" in argv:
        if block(DOC.read_text(encoding="utf-8")) != table:
            print(f"{DOC.relative_to(ROOT)}: the event map is out of date; run `{COMMAND}`",
                  file=sys.stderr)
            return 1
    else:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
