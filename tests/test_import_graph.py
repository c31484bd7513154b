"""The layers of fastiter's Python side, read from the source with ast (nothing imported).

Each rule of :data:`LAYER_RULES` says which parts of ``fastiter`` a module or package may
import from; an import of any other part of fastiter (at the top of a file or inside a
function: a lazy import still ties the layers) fails the test.  To add a layer, add a row.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import fastiter

ROOT = Path(fastiter.__file__).resolve().parent

#: The bottom floor: modules that import nothing above themselves, usable from anywhere.
BOTTOM = (
    "fastiter._validate",
    "fastiter._env",
    "fastiter._cpus",
    "fastiter._extras",
    "fastiter.errors",
    "fastiter.kernels",
    "fastiter._core",
)

NC_ACCESS = ("fastiter._paths", "fastiter._nchandles", "fastiter._ncseries", "fastiter._ncaccess")
ABOVE_ITERATORS = BOTTOM + ("fastiter.dataset", "fastiter.iterators")

#: (module or package, the parts of fastiter it may import).  A name covers its
#: submodules: "fastiter.kernels" allows "fastiter.kernels._common".
LAYER_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("fastiter._validate", ()),
    ("fastiter._extras", ()),
    ("fastiter.errors", ()),
    ("fastiter._cpus", ()),
    ("fastiter._env", ("fastiter._cpus",)),
    ("fastiter._core", BOTTOM),
    ("fastiter.kernels", BOTTOM),
    ("fastiter.jit", BOTTOM),
    ("fastiter.dataset", BOTTOM + ("fastiter.dataset",)),
    # the one netCDF/HDF5 variable-access layer, shared by the reader and record readers
    ("fastiter._paths", BOTTOM),
    ("fastiter._nchandles", BOTTOM),
    ("fastiter._ncseries", BOTTOM),
    ("fastiter._ncaccess", BOTTOM + NC_ACCESS),
    ("fastiter.interop", BOTTOM + ("fastiter.dataset",)),
    ("fastiter.preprocessing", BOTTOM + ("fastiter.dataset", "fastiter.preprocessing")),
    ("fastiter.iterators", BOTTOM + ("fastiter.dataset", "fastiter.iterators")),
    # the families built on the iterators; none of them imports another, nor the
    # benchmark registry (fastiter.bench), which sits above the whole runtime
    ("fastiter.records", ABOVE_ITERATORS + NC_ACCESS + ("fastiter.records",)),
    ("fastiter.datasets", ABOVE_ITERATORS + ("fastiter.datasets",)),
    ("fastiter.netcdf", ABOVE_ITERATORS + NC_ACCESS + ("fastiter.netcdf",)),
    ("fastiter.torch", ABOVE_ITERATORS + ("fastiter.interop", "fastiter.torch")),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    base = ROOT.parent / rel
    return (
        base.with_suffix(".py").exists()
        or (base / "__init__.py").exists()
        or any(base.parent.glob(base.name + ".*.so"))
        or base.with_suffix(".pyx").exists()
    )


def imports_of(path: Path) -> list[tuple[int, str]]:
    """The fastiter modules ``path`` imports, with line numbers; ``from fastiter.x import
    y`` counts as ``fastiter.x.y`` when y is a module, else as ``fastiter.x``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            for a in node.names:
                sub = f"{mod}.{a.name}"
                out.append((node.lineno, sub if _is_module(sub) else mod))
    return [(line, m) for line, m in out if m == "fastiter" or m.startswith("fastiter.")]


def _covers(prefix: str, name: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _files_of(target: str) -> list[Path]:
    rel = Path(*target.split("."))
    pkg = ROOT.parent / rel
    if (pkg / "__init__.py").exists():
        return sorted(pkg.rglob("*.py"))
    return [pkg.with_suffix(".py")]


def _upward_imports(target: str, allowed: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _files_of(target):
        for line, mod in imports_of(path):
            if not any(_covers(a, mod) for a in allowed):
                bad.append(f"{path.relative_to(ROOT.parent)}:{line} imports {mod}")
    return bad


@pytest.mark.parametrize("target, allowed", LAYER_RULES, ids=[r[0] for r in LAYER_RULES])
def test_layer_imports_only_from_below(target, allowed):
    assert _files_of(target)[0].exists(), f"{target} is in LAYER_RULES but has no file"
    assert _upward_imports(target, allowed) == []


#: Packages whose modules must import one another without a circle (lazy imports count).
NO_CIRCLE_INSIDE = [
    "fastiter.dataset",
    "fastiter.preprocessing",
    "fastiter.iterators",
    "fastiter.records",
    "fastiter.netcdf",
    "fastiter.bench",
]


def _circle_in(package: str) -> list[str] | None:
    graph = {}
    for path in _files_of(package):
        me = _module_name(path)
        graph[me] = {
            m for _, m in imports_of(path) if _covers(package, m) and m not in (me, package)
        }  # __init__ re-exports
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return trail + [node, nxt]
            if nxt not in state and (found := visit(nxt, trail + [node])):
                return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node, [])):
            return found
    return None


@pytest.mark.parametrize("package", NO_CIRCLE_INSIDE)
def test_no_import_circle_inside(package):
    assert len(_files_of(package)) >= 2
    assert _circle_in(package) is None


def _private_imports_from_outside() -> list[str]:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        me = _module_name(path)
        for line, mod in imports_of(path):
            parts = mod.split(".")
            for i, part in enumerate(parts[2:], start=2):  # fastiter._x is fastiter's own
                if part.startswith("_") and not part.startswith("__"):
                    owner = ".".join(parts[:i])
                    if not _covers(owner, me):
                        bad.append(f"{path.relative_to(ROOT.parent)}:{line} imports {mod}")
                    break
    return bad


def test_no_private_module_is_imported_from_outside_its_package():
    """``fastiter.iterators._indexed`` is for ``fastiter.iterators`` alone; other packages
    use what the package's ``__init__`` hands on (``fastiter._core`` names its compiled
    modules ``kernels``, ``ring``, ...)."""
    assert _private_imports_from_outside() == []


def test_the_checker_sees_a_lazy_upward_import(tmp_path, monkeypatch):
    """The rule check itself: an import inside a function body still counts."""
    fake = tmp_path / "fastiter" / "dataset"
    fake.mkdir(parents=True)
    (tmp_path / "fastiter" / "__init__.py").write_text("")
    (tmp_path / "fastiter" / "iterators.py").write_text("")
    (fake / "__init__.py").write_text("from fastiter._validate import is_int\n")
    (fake / "m.py").write_text("def f():\n    from fastiter.iterators import x\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path / "fastiter")
    assert _upward_imports("fastiter.dataset", BOTTOM + ("fastiter.dataset",)) == [
        "fastiter/dataset/m.py:2 imports fastiter.iterators"
    ]
