"""How the tests are laid out (issue #21): helpers shared between test modules live in the
tests.support package, fixtures in conftests; no file under tests/ imports a test module or a
conftest, and none depends on bench/ (no import of it, no script of it loaded, run or read).

The rules are read from the source with `ast`, never by importing it: a test module that
imports another one drags that module's tests and fixtures along, under a second name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
SUPPORT = "tests.support"
# What loads or runs a file or a module named by a string, rather than by an import statement.
LOADERS = {"spec_from_file_location", "SourceFileLoader", "SourcelessFileLoader", "load_source",
           "run_path", "run_module", "import_module", "__import__", "exec_module"}
RUNNERS = {"run", "Popen", "call", "check_call", "check_output", "system", "execv", "execvp",
           "spawnv", "open", "read_text", "read_bytes"}
PATH_LIKE = re.compile(r"^[\w.\-/]+$")


def _forbidden_module(name: str) -> str | None:
    """Why importing the dotted module `name` breaks the layout, or None when it does not."""
    head = name.split(".", 1)[0]
    if head == "bench":
        return "imports from bench/"
    if head == "conftest":
        return "imports a conftest"
    if head.startswith("test_") or head.endswith("_test"):
        return "imports a test module"
    if head == "tests" and name != SUPPORT and not name.startswith(SUPPORT + "."):
        last = name.split(".")
        if "conftest" in last:
            return "imports a conftest"
        if any(part.startswith("test_") for part in last):
            return "imports a test module"
        return "imports from tests/ outside tests.support"
    return None


def _package_of(path: Path) -> list[str]:
    return list(path.resolve().relative_to(ROOT).with_suffix("").parts[:-1])


def _imported(node: ast.ImportFrom, path: Path) -> list[str]:
    """The dotted names a `from … import …` reaches, relative imports resolved."""
    if node.level:
        package = _package_of(path)
        base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    return [f"{module}.{alias.name}" if module else alias.name for alias in node.names]


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _strings(node: ast.AST) -> list[str]:
    """The string constants anywhere in an expression (a call's arguments, an argv list…)."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _segments(node: ast.AST) -> list[str]:
    """The string segments of a path built with `/`: ROOT / "bench" / "x.py" → bench, x.py."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _segments(node.left) + _segments(node.right)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [part for part in node.value.split("/") if part]
    return []


def _builds_a_path(node: ast.Call) -> bool:
    """Path(...), PurePath(...) or os.path.join(...)."""
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "join":
        return ast.unparse(func.value).split(".")[-1] == "path"
    return _call_name(node) in ("Path", "PurePath")


def _names_bench(value: str) -> bool:
    return bool(PATH_LIKE.match(value)) and "bench" in value.strip("/").split("/")


def _names_test_file(value: str) -> bool:
    if not PATH_LIKE.match(value):
        return False
    last = value.rstrip("/").split("/")[-1]
    return last == "conftest.py" or (last.startswith("test_") and last.endswith(".py"))


def violations(source: str, path: Path) -> list[str]:
    """Every place where the file at `path`, of text `source`, breaks the layout."""
    found = []

    def report(node: ast.AST, why: str, what: str) -> None:
        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {why} ({what})")

    tree = ast.parse(source, filename=str(path))
    inner = {id(n.left) for n in ast.walk(tree) if isinstance(n, ast.BinOp)
             and isinstance(n.op, ast.Div)}  # a path's inner `/`: reported with the whole path
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if why := _forbidden_module(alias.name):
                    report(node, why, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for name in _imported(node, path):
                if why := _forbidden_module(name):
                    report(node, why, name)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and id(node) not in inner:
            # ROOT / "bench" / "script.py": a path into bench/, whatever is done with it.
            if "bench" in _segments(node):
                report(node, "builds a path into bench/", ast.unparse(node))
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            values = [v for argument in [*node.args, *(k.value for k in node.keywords)]
                      for v in _strings(argument)]
            if _builds_a_path(node) and any(_names_bench(v) for v in values):
                report(node, "builds a path into bench/", ast.unparse(node))
            elif name in LOADERS | RUNNERS:
                for value in values:
                    if _names_bench(value):
                        report(node, "loads or runs a file of bench/", value)
                    elif name in LOADERS and (_names_test_file(value)
                                              or _forbidden_module(value)):
                        report(node, "loads a test module or a conftest", value)
    return found


def python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_file_under_tests_imports_a_test_module_a_conftest_or_bench():
    found = [v for path in python_files()
             for v in violations(path.read_text(encoding="utf-8"), path)]
    assert not found, "shared helpers belong in tests/support, fixtures in a conftest:\n" + \
        "\n".join(found)


def test_the_support_package_is_a_package_and_holds_no_tests():
    support = TESTS / "support"
    assert (support / "__init__.py").is_file()
    assert not [p.name for p in support.rglob("*.py")
                if p.name.startswith("test_") or p.name == "conftest.py"]


# The check itself, on planted sources: each must be caught, from a test module's place.
HERE = TESTS / "unit" / "gateway" / "test_planted.py"


@pytest.mark.parametrize("source", [
    "from tests.unit.gateway.test_gateway_pages import FakeClient",
    "from tests.unit.gateway import test_gateway_pages as pages",
    "import tests.unit.gateway.test_gateway_pages",
    "from tests.e2e.conftest import ADMIN",
    "from .conftest import PASSWORD",
    "from . import test_gateway_pages",
    "from .test_gateway_pages import csrf_of",
    "from ..diagnostic.test_domain import SMALL",
    "from conftest import ADMIN",
    "import test_gateway_pages",
    "def f():\n    from tests.chaos.conftest import url",
    "from bench.screening_report import main",
    "import bench",
    "from tests.unit.moderation.corpus.split import main",
    "spec = importlib.util.spec_from_file_location('m', ROOT / 'bench' / 'screening_report.py')",
    "runpy.run_path(str(ROOT / 'bench/pipeline.py'))",
    "subprocess.run([sys.executable, 'bench/relay.py'], check=True)",
    "importlib.import_module('bench.relay')",
    "importlib.import_module('tests.unit.gateway.test_gateway_pages')",
    "spec_from_file_location('c', Path(__file__).parent / 'conftest.py')",
    "os.path.join(ROOT, 'bench', 'agents_list.py')",
])
def test_the_check_catches_a_planted_dependency(source):
    assert violations(source, HERE), source


@pytest.mark.parametrize("source", [
    "from tests.support.gateway import FakeClient, csrf_of",
    "from tests.support import screening_report",
    "import tests.support.e2e",
    "from services.moderation import screening",
    "import importlib\nmodule = importlib.import_module(f'services.{name}.app')",
    "names = ('chassis', 'notifier', 'bench')  # queue prefixes, not bench/",
    "delete_broker_names(url, exchange, prefix, ('chassis', 'bench'), (50, 100))",
    "' '.join(['bench', 'mark'])",
    "half = len(text) / 2",
    "TEXT = 'Generated by `bench/screening_report.py`'",
    "from __future__ import annotations",
])
def test_the_check_leaves_what_is_allowed(source):
    assert violations(source, HERE) == []
