"""The package layout shows the pipeline: imports go one way (input → engine → sheets → writers → faces).

Every module's imports are read with ``ast`` — including imports inside functions, which a lazy import
would otherwise hide — and resolved to xlseg modules (``from xlseg.io import xlsx_fast`` names the module
``xlseg.io.xlsx_fast``). Two rules:

* no circle: no module reaches itself through its imports;
* no import against the pipeline: a module imports only modules of its own stage or of lower stages, and
  the writers (which compute no number) import nothing from the input or engine stages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "xlseg"

#: Stages, lowest first. A module belongs to the stage of the longest prefix that names it.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("xlseg.errors", "xlseg.schema", "xlseg.spec", "xlseg.parallel", "xlseg.version", "xlseg.demo")),
    ("io", ("xlseg.io",)),
    ("engine", ("xlseg.engine",)),
    ("analyses", ("xlseg.behavior", "xlseg.insight")),
    ("sheets", ("xlseg.sheets",)),
    ("writers", ("xlseg.writers",)),
    ("reporting", ("xlseg.reporting", "xlseg.behavior_report")),
    ("excel", ("xlseg.excel", "xlseg.udfs", "xlseg.macros")),
    ("cli", ("xlseg.cli",)),
    ("api", ("xlseg",)),
]
#: Stages a writer may import: it paints layouts and computes no number.
WRITER_MAY_IMPORT = {"base", "sheets", "writers"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The xlseg modules ``name`` imports anywhere in its file (module level, functions, TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # ``from xlseg.io import xlsx_fast`` imports a module
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in known else target)
    return {m for m in found if m in known and m != name}


def stage_of(name: str) -> str:
    best, stage = -1, None
    for stage_name, prefixes in STAGES:
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, stage = len(prefix), stage_name
    assert stage is not None, f"{name} belongs to no stage: add it to STAGES in {Path(__file__).name}"
    return stage


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def test_every_module_has_a_stage(graph: dict[str, set[str]]) -> None:
    for name in graph:
        stage_of(name)


def test_imports_follow_the_pipeline(graph: dict[str, set[str]]) -> None:
    rank = {stage: i for i, (stage, _) in enumerate(STAGES)}
    against = []
    for name, targets in sorted(graph.items()):
        for target in sorted(targets):
            if rank[stage_of(target)] > rank[stage_of(name)]:
                against.append(f"{name} ({stage_of(name)}) imports {target} ({stage_of(target)})")
            elif stage_of(name) == "writers" and stage_of(target) not in WRITER_MAY_IMPORT:
                against.append(f"writer {name} imports {target} ({stage_of(target)}): writers compute no number")
    assert not against, "imports against the pipeline:\n" + "\n".join(against)


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    circles = strongly_connected(graph)
    assert not circles, "import circles:\n" + "\n".join(" → ".join(sorted(c)) for c in circles)


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of two or more modules that import each other (directly or not)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_the_checks_catch_a_circle_and_a_lazy_import(tmp_path: Path) -> None:
    """The checker itself: a lazy import inside a function is seen, and a two-module circle is found."""
    (tmp_path / "a.py").write_text("def f():\n    from xlseg.b import g\n")
    known = {"xlseg.a", "xlseg.b"}
    assert imports_of("xlseg.a", tmp_path / "a.py", known) == {"xlseg.b"}
    assert strongly_connected({"xlseg.a": {"xlseg.b"}, "xlseg.b": {"xlseg.a"}}) == [{"xlseg.a", "xlseg.b"}]


def test_old_module_paths_still_give_the_excel_functions() -> None:
    """Workbooks made before the layout name ``xlseg.udfs;xlseg.macros``: those modules re-export the same
    functions as :mod:`xlseg.excel.udfs` and :mod:`xlseg.excel.macros`."""
    import importlib

    # other tests import the Excel modules afresh under xlwings' real decorators: compare with the modules
    # Python now hands out, and re-read the thin modules on top of them
    for old, new in (("xlseg.udfs", "xlseg.excel.udfs"), ("xlseg.macros", "xlseg.excel.macros")):
        target = importlib.import_module(new)
        thin = importlib.reload(importlib.import_module(old))
        assert thin.__all__
        for name in thin.__all__:  # the same function (other tests may have imported a second copy of it)
            mine, theirs = getattr(thin, name), getattr(target, name)
            assert (mine.__module__, mine.__qualname__, mine.__doc__) == (new, theirs.__qualname__, theirs.__doc__)
    formulas = {n for n in vars(importlib.import_module("xlseg.excel.udfs")) if n.startswith("SEG_")}
    assert formulas == set(importlib.import_module("xlseg.udfs").__all__)


def test_public_api_names() -> None:
    import xlseg

    for name in ("breakdown", "crosstab", "load_table", "report", "make_users", "XlsegError", "Role", "Table"):
        assert getattr(xlseg, name).__name__ == name
