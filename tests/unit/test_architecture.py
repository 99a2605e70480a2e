"""The tree, the architecture page and the imports agree.

docs/architecture.md's "Packages" table says what each package may import, in layers from the
bottom up; its "Pure modules" list says which modules decide and do nothing else. These tests read
every import of every coord module (lazy ones inside functions and `if TYPE_CHECKING:` ones
included) and hold the code to both, and to the size rules: no import cycle, no module over 400
lines, at most 8 modules loose at coord/'s top level. Each checker is also shown failing on a
small tree that breaks its rule, so a checker that stopped checking would be noticed.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COORD = ROOT / "coord"
PAGE = ROOT / "docs" / "architecture.md"
MAX_LINES = 400
MAX_LOOSE_MODULES = 8

# Third-party libraries a pure module may use: validation and the cron parser it would
# otherwise hand-write.
PURE_LIBRARIES = {"pydantic", "pydantic_core", "croniter"}
# Standard-library modules that reach outside the process, read a clock or keep global state.
IMPURE_STDLIB = {
    "asyncio", "ftplib", "http", "io", "logging", "multiprocessing", "os", "pathlib", "random",
    "secrets", "select", "shutil", "signal", "smtplib", "socket", "sqlite3", "ssl", "subprocess",
    "sys", "tempfile", "threading", "time", "urllib", "uuid",
}  # fmt: skip
# Calls that read the clock or touch files, whatever module they come from.
# (`time.time()` and `time.monotonic()` need `import time`, which IMPURE_STDLIB already refuses.)
IMPURE_CALLS = {"now", "utcnow", "today", "open", "read_text", "write_text", "sleep"}
HEAVY = ("azure", "httpx", "jinja2", "css_inline", "smtplib", "aiosmtpd")


@dataclass(frozen=True, slots=True)
class Import:
    source: str  # the importing module
    target: str  # the coord module imported
    line: int
    type_only: bool


# --- reading the tree ----------------------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_tree(root: Path) -> dict[str, str]:
    """Module name -> source, for every module of the package at `root`."""
    return {module_name(p, root): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.py"))}


def _type_only_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            lines |= {n.lineno for stmt in node.body for n in ast.walk(stmt) if hasattr(n, "lineno")}
    return lines


def _resolve(name: str, modules: Iterable[str]) -> str | None:
    known = set(modules)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def coord_imports(modules: Mapping[str, str], package: str = "coord") -> list[Import]:
    """Every import of a module of `package` by one of `modules`, with the packages it runs.

    `from a.b import c` imports `a.b.c` when that is a module, else `a.b`; importing `a.b.c`
    also runs `a/__init__.py` and `a/b/__init__.py`, so those count as imported too.
    """
    found: list[Import] = []
    for source, text in modules.items():
        tree = ast.parse(text)
        type_only = _type_only_lines(tree)
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [
                    f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                    for alias in node.names
                ]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name != package and not name.startswith(package + "."):
                    continue
                target = _resolve(name, modules)
                if target is None:
                    continue
                parts = target.split(".")
                chain = [".".join(parts[:k]) for k in range(2, len(parts))] + [target]
                for imported in chain:
                    if imported != source and not source.startswith(imported + "."):
                        found.append(Import(source, imported, node.lineno, node.lineno in type_only))
    return found


def import_cycles(imports: Iterable[Import]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each a cycle of imports."""
    graph: dict[str, set[str]] = {}
    for edge in imports:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


# --- reading the page ----------------------------------------------------------------------


def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _unit(path: str) -> str:
    """`coord/feed/` -> `coord.feed`, `coord/clock.py` -> `coord.clock`, `coord/__init__.py` -> `coord`."""
    name = path.strip("`").rstrip("/").removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


@dataclass(frozen=True, slots=True)
class Layer:
    unit: str
    allowed: frozenset[str]
    types_only: frozenset[str]


def layers(page: str) -> list[Layer]:
    """The Packages table, bottom layer first."""
    rows = re.findall(r"^\| (`coord/[^`]*`) \| .*? \| (.*?) \|$", _section(page, "Packages"), re.MULTILINE)
    result = []
    for path, cell in rows:
        allowed, types_only = set(), set()
        for name, types in re.findall(r"`([\w/.]+)`( \(types\))?", cell):
            unit = _unit(name if name.startswith("coord/") else f"coord/{name}")
            (types_only if types else allowed).add(unit)
        result.append(Layer(_unit(path), frozenset(allowed), frozenset(types_only)))
    return result


def unit_of(module: str, units: Iterable[str]) -> str | None:
    """The row of the table a module belongs to: the longest unit that is it or contains it."""
    best = None
    for unit in units:
        if (module == unit or module.startswith(unit + ".")) and (best is None or len(unit) > len(best)):
            best = unit
    if best == "coord" and module != "coord":
        return None
    return best


def layer_violations(imports: Iterable[Import], table: list[Layer]) -> list[str]:
    """Imports that the table does not allow, and allowances that point up the table."""
    position = {layer.unit: i for i, layer in enumerate(table)}
    by_unit = {layer.unit: layer for layer in table}
    problems = []
    for layer in table:
        for allowed in layer.allowed | layer.types_only:
            if allowed not in position:
                problems.append(f"{layer.unit} may import {allowed}, which is not a row of the table")
            # A type-only import never runs, so only imports that run must point down the table.
            elif allowed in layer.allowed and position[allowed] >= position[layer.unit]:
                problems.append(f"{layer.unit} may import {allowed}, which is not below it")
    for edge in imports:
        source, target = unit_of(edge.source, position), unit_of(edge.target, position)
        if source is None or target is None or source == target:
            continue
        layer = by_unit[source]
        if target in layer.allowed or (edge.type_only and target in layer.types_only):
            continue
        kind = "type-only import" if edge.type_only else "import"
        problems.append(
            f"{edge.source} line {edge.line}: {kind} of {edge.target} ({source} may not import {target})"
        )
    return problems


def pure_modules(page: str) -> list[str]:
    bullets = re.findall(r"^- (.+)$", _section(page, "Pure modules"), re.MULTILINE)
    listed = [path for line in bullets for path in re.findall(r"`(coord/[\w/]+\.py)`", line)]
    return [_unit(path) for path in listed]


def purity_violations(name: str, source: str, pure: set[str]) -> list[str]:
    """What makes a module more than a decision: I/O or clock imports, clock or file calls."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        modules: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        for module in modules:
            top = module.split(".")[0]
            if top == "__future__":
                continue
            if top == "coord":
                if not any(
                    module == p or module.startswith(p + ".") or p.startswith(module + ".") for p in pure
                ):
                    problems.append(f"{name} line {node.lineno}: imports {module}, which is not pure")
            elif top in IMPURE_STDLIB or (top not in sys.stdlib_module_names and top not in PURE_LIBRARIES):
                problems.append(f"{name} line {node.lineno}: imports {module}")
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in IMPURE_CALLS:
                problems.append(f"{name} line {node.lineno}: calls {called}()")
    return problems


# --- the rules, on the real tree -------------------------------------------------------------


@pytest.fixture(scope="module")
def tree() -> dict[str, str]:
    return read_tree(COORD)


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_no_import_cycle_anywhere_in_coord_lazy_imports_included(tree: dict[str, str]) -> None:
    imports = coord_imports(tree)
    assert len(imports) > 300  # the reader sees the imports inside functions too
    assert import_cycles(imports) == []


def test_every_import_follows_the_layers_of_the_architecture_page(tree: dict[str, str], page: str) -> None:
    table = layers(page)
    assert len(table) >= 18
    assert layer_violations(coord_imports(tree), table) == []


def test_the_packages_table_covers_the_tree_exactly(tree: dict[str, str], page: str) -> None:
    units = {layer.unit for layer in layers(page)}
    top = {name for name in tree if name.count(".") <= 1} - {"coord.entrypoints"}
    top |= {name for name in tree if name.count(".") == 2 and name.startswith("coord.entrypoints.")}
    packages = {name for name in top if (COORD.parent / name.replace(".", "/")).is_dir()}
    expected = packages | {name for name in top if name not in packages and name.count(".") == 1} | {"coord"}
    expected = {name for name in expected if unit_of(name, expected) == name}
    assert units == expected


def test_the_tree_drawn_on_the_page_is_the_tree(page: str) -> None:
    drawn = _section(page, "The tree").split("```", 2)[1]
    names = set(re.findall(r"^ +([\w.]+/?)(?: |$)", drawn, re.MULTILINE))
    on_disk = {p.name + "/" for p in COORD.iterdir() if p.is_dir() and p.name != "__pycache__"}
    on_disk |= {p.name for p in COORD.glob("*.py") if p.name != "__init__.py"}
    on_disk |= {
        p.name + "/" for p in (COORD / "entrypoints").iterdir() if p.is_dir() and p.name != "__pycache__"
    }
    assert names == on_disk


def test_pure_modules_do_no_io_and_read_no_clock(tree: dict[str, str], page: str) -> None:
    pure = set(pure_modules(page))
    assert len(pure) >= 20
    for name in pure:
        assert name in tree, f"{name} is listed as pure but does not exist"
        assert purity_violations(name, tree[name], pure) == []


def test_importing_the_pure_modules_loads_no_sdk_http_client_template_engine_or_smtp(page: str) -> None:
    names = pure_modules(page)
    code = f"import sys; import {', '.join(names)}; print(sorted({{m.split('.')[0] for m in sys.modules}}))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert not [heavy for heavy in HEAVY if f"'{heavy}'" in loaded.stdout]


def test_no_module_in_coord_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in COORD.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_at_most_eight_modules_are_loose_at_the_top_of_coord() -> None:
    assert len(list(COORD.glob("*.py"))) <= MAX_LOOSE_MODULES


# --- each checker fails on a tree that breaks its rule ---------------------------------------

SMALL_TABLE = """
## Packages

| package | what it decides or does | may import |
|---|---|---|
| `coord/domain/` | values | nothing |
| `coord/store/` | tables | nothing |
| `coord/feed/` | the feed | `domain`, `store`, `bootstrap` (types) |
| `coord/bootstrap.py` | wiring | `store`, `feed` |

## Pure modules

- `coord/domain/values.py`
"""


def _small(**modules: str) -> dict[str, str]:
    """A tiny coord: the packages of SMALL_TABLE and `modules` (`coord_feed_a` names coord.feed.a)."""
    tree = {"coord": "", "coord.domain": "", "coord.store": "", "coord.feed": ""}
    return tree | {name.replace("_", "."): text for name, text in modules.items()}


def test_the_cycle_check_finds_a_cycle_closed_by_a_lazy_import() -> None:
    tree = _small(
        coord_feed_a="from coord.feed.b import thing\n",
        coord_feed_b="def later():\n    from coord.feed import a\n",
    )
    assert import_cycles(coord_imports(tree)) == [["coord.feed.a", "coord.feed.b"]]


def test_the_layer_check_finds_an_upward_import_and_a_runtime_use_of_a_types_only_package() -> None:
    table = layers(SMALL_TABLE)
    upward = _small(coord_store_tables="from coord.feed.events import Event\n")
    assert any(
        "coord.store may not import coord.feed" in p for p in layer_violations(coord_imports(upward), table)
    )
    runtime = _small(coord_feed_service="from coord.bootstrap import Services\n", coord_bootstrap="")
    assert any("may not import coord.bootstrap" in p for p in layer_violations(coord_imports(runtime), table))
    typed = _small(
        coord_feed_service=(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from coord.bootstrap import S\n"
        ),
        coord_bootstrap="",
    )
    assert layer_violations(coord_imports(typed), table) == []


def test_the_layer_check_refuses_a_table_that_lets_a_row_import_one_above_it() -> None:
    table = layers(
        SMALL_TABLE.replace("| `coord/domain/` | values | nothing |", "| `coord/domain/` | values | `feed` |")
    )
    assert layer_violations([], table) == ["coord.domain may import coord.feed, which is not below it"]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import httpx\n", "imports httpx"),
        ("from datetime import datetime\nx = datetime.now()\n", "calls now()"),
        ("import os\n", "imports os"),
        ("from pathlib import Path\n", "imports pathlib"),
        ("from coord.store import Table\n", "imports coord.store, which is not pure"),
        ("def f(p):\n    return open(p).read()\n", "calls open()"),
    ],
)
def test_the_purity_check_finds_io_and_clock_reads(source: str, found: str) -> None:
    problems = purity_violations("coord.domain.values", source, {"coord.domain.values"})
    assert any(found in p for p in problems), problems


def test_the_purity_check_passes_a_module_of_pure_imports() -> None:
    source = (
        "from __future__ import annotations\nimport re\n"
        "from pydantic import BaseModel\nfrom coord.domain.values import V\n"
    )
    assert (
        purity_violations("coord.domain.other", source, {"coord.domain.values", "coord.domain.other"}) == []
    )
