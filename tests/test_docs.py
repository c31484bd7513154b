"""The docs cannot rot: their examples run, their C programs compile, their names exist.

Convention for fenced blocks in ``docs/*.md``, ``README.md`` and ``examples/c/README.md``
(the marker is the last non-blank line before the opening fence):

- a ```` ```python ```` block is executed exactly as written, each block in a fresh
  namespace with ``__name__ == "__main__"`` (as a script a reader saves and runs), in a
  temporary working folder;
- a ```` ```sh ```` or ```` ```bash ```` block is run by ``bash -e`` in a temporary
  folder where ``csrc`` leads to the checkout's ``csrc`` (paths read as from the
  checkout) and ``python`` / ``fastiter`` are the ones of the interpreter under test;
- a ```` ```c ```` block holding ``int main(`` is compiled with ``tests/cbuild.py``
  against ``fastiter.get_include()`` and ``fastiter.get_source_dir()`` and run (it
  must exit 0); other C blocks are fragments and only read;
- ``<!-- no-run -->`` before a block: never executed (shell, cluster set-ups, code
  that needs something the test machine lacks);
- ``<!-- requires: NAME -->`` before a block: executed only when ``NAME`` is present
  (a module that imports, or a header ``fastiter/x.h`` under ``get_include()``;
  several may be separated by commas),
  otherwise skipped.  This marks examples of code that is still on its way to main.

The C API reference is also checked both ways: every function, type and macro that the
public headers declare is documented in ``docs/c-api.md``, and every ``fi_``/``FI_``
name documented in a header's section exists in that header.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cbuild import ROOT, c_sources, compile_c, core_objects, run

import fastiter

DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md", ROOT / "examples" / "c" / "README.md"]
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
_MARK = re.compile(r"<!--\s*(no-run|requires:\s*([\w./, -]+?))\s*-->\s*$")


def _blocks():
    """(file, line, lang, code, marker, requirement) for every fenced block."""
    found = []
    for md in PAGES:
        text = md.read_text(encoding="utf-8")
        for m in _FENCE.finditer(text):
            before = text[: m.start()].rstrip().splitlines()
            last = before[-1].strip() if before else ""
            mark = _MARK.search(last)
            line = text.count("\n", 0, m.start()) + 1
            found.append(
                (
                    md.relative_to(ROOT).as_posix(),
                    line,
                    m.group(1),
                    m.group(2),
                    mark.group(1).split(":")[0] if mark else None,
                    mark.group(2) if mark else None,
                )
            )
    return found


BLOCKS = _blocks()
PY = [b for b in BLOCKS if b[2] == "python" and b[4] != "no-run"]
C_PROGRAMS = [b for b in BLOCKS if b[2] == "c" and b[4] != "no-run" and "int main(" in b[3]]
SHELL = [b for b in BLOCKS if b[2] in ("sh", "bash") and b[4] != "no-run"]


def _ids(blocks):
    return [f"{b[0]}:{b[1]}" for b in blocks]


def _require(names: str | None) -> None:
    for name in (names or "").replace(",", " ").split():
        if name.endswith(".h"):
            if not (Path(fastiter.get_include()) / name).is_file():
                pytest.skip(f"{name} is not in this build yet")
            continue
        try:
            importlib.import_module(name)
        except ImportError:
            pytest.skip(f"{name} is not importable here yet")


def test_the_docs_exist_and_hold_examples():
    names = {p.name for p in DOCS.glob("*.md")}
    assert {"index.md", "c-api.md", "design.md", "netcdf.md"} <= names
    assert len(PY) >= 5 and len(C_PROGRAMS) >= 3


def test_index_links_resolve():
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([\w.-]+\.md)\)", text)
    assert {"c-api.md", "design.md", "netcdf.md", "dl4j.md"} <= set(links)
    # dl4j.md is written on another branch; every other link must resolve now.
    missing = [ln for ln in links if ln != "dl4j.md" and not (DOCS / ln).is_file()]
    assert not missing, f"docs/index.md links to missing files: {missing}"


@pytest.mark.parametrize("block", PY, ids=_ids(PY))
def test_python_block_runs(block, tmp_path, monkeypatch):
    name, line, _, code, _, needs = block
    _require(needs)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{name}:{line}", "exec"), {"__name__": "__main__"})


@pytest.mark.parametrize("block", SHELL, ids=_ids(SHELL))
def test_shell_block_runs(block, tmp_path):
    name, line, _, code, _, needs = block
    _require(needs)
    (tmp_path / "csrc").symlink_to(ROOT / "csrc", target_is_directory=True)
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    res = subprocess.run(
        ["bash", "-e", "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, f"{name}:{line} failed:\n{res.stdout}\n{res.stderr}"


def test_readme_and_getting_started_run_every_code_block():
    """The first pages a reader sees hold no block the tests skip, except the two
    set-up commands (`make demo`, `make test`: the test run is one of them)."""
    for page in ("README.md", "docs/getting-started.md"):
        skipped = [
            f"{b[0]}:{b[1]}"
            for b in BLOCKS
            if b[0] == page and b[4] == "no-run" and not b[3].lstrip().startswith("make ")
        ]
        assert not skipped, f"blocks the tests never run: {skipped}"
        assert any(b[0] == page and b[2] == "python" for b in BLOCKS), page


# A path written in the pages (a link, or a file name in backticks) must exist in the
# repository: a reader has nothing else.
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
_FILE = re.compile(r"`([\w./-]+\.(?:md|c|h|py|pyx|pxd|toml))`")  # sources and pages
# a folder of the repository written in backticks (`fastiter/kernels/`, `csrc/examples/`)
# (fastiter/lib/, include/ and src/ are made by build_ext, setup.py)
_BUILT = {"lib", "include", "src"}
_DIR = re.compile(r"`((?:csrc|fastiter|tests|bench|docs|examples)(?:/[\w.-]+)*/)`")


@functools.lru_cache(maxsize=1)
def _repository_files() -> tuple[str, ...]:
    """Every file of the checkout, once per run (.venv and .git pruned, not walked: the
    walk through a virtualenv took a minute and a half for the 18 pages)."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".venv", ".git")]
        rel = Path(folder).relative_to(ROOT)
        found += [(rel / f).as_posix() for f in files]
    return tuple(found)


@pytest.mark.parametrize(
    "page", [*PAGES, ROOT / "CONTRIBUTING.md"], ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_pages_cite_only_files_in_the_repository(page):
    text = page.read_text(encoding="utf-8")
    tracked = _repository_files()
    missing = []
    for target in _LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        if not (page.parent / target).exists():
            missing.append(target)
    for name in _FILE.findall(text):
        if name == "Python.h":  # CPython's header, named to say the C core does not use it
            continue
        if not any(t == name or t.endswith("/" + name) for t in tracked):
            missing.append(name)
    for folder in _DIR.findall(text):
        if folder.startswith("fastiter/") and folder.split("/")[1] in _BUILT:
            continue
        if not (ROOT / folder).is_dir():
            missing.append(folder)
    # the design notes the project was written from live outside the repository; the
    # pages say what they decided instead of naming them, even in plain text
    missing += re.findall(r"SPEC-dl4j\.md|STYLE\.md|NOTES-\w+\.md|\.\./shared/", text)
    assert not missing, f"{page.name} cites what the repository does not hold: {missing}"


@pytest.mark.parametrize("block", C_PROGRAMS, ids=_ids(C_PROGRAMS))
def test_c_program_compiles_and_runs(block, tmp_path):
    name, line, _, code, _, needs = block
    _require(needs)
    src = tmp_path / "example.c"
    src.write_text(code, encoding="utf-8")
    exe = compile_c([str(src), *core_objects()], tmp_path / "example")
    run(exe, timeout=120)


# ----------------------------------------------------------- the C API, both ways


def _header_names(text: str) -> set[str]:
    """Functions, types and macros a public header declares."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names = set(re.findall(r"\b(fi_\w+)\s*\(", text))  # prototypes
    names |= set(re.findall(r"typedef\s+(?:struct|enum)\s+(fi_\w+)", text))
    names |= set(re.findall(r"\}\s*(fi_\w+)\s*;", text))
    names |= set(re.findall(r"\(\*(fi_\w+)\)", text))  # function pointers
    for body in re.findall(r"typedef\s+enum\s+\w+\s*\{(.*?)\}", text, re.S):
        names |= set(re.findall(r"\b(FI_[A-Z0-9_]+)", body))  # enum constants
    names |= set(re.findall(r"#define\s+(FI_\w+)", text))
    return {n for n in names if not n.endswith("_")}


def _headers() -> dict[str, str]:
    inc = Path(fastiter.get_include())
    out = {"fastiter.h": (inc / "fastiter.h").read_text()}
    for h in sorted((inc / "fastiter").glob("*.h")):
        out[f"fastiter/{h.name}"] = h.read_text()
    return out


def _doc_sections() -> dict[str, str]:
    """The text of c-api.md under each ``## `fastiter/x.h` `` heading."""
    text = (DOCS / "c-api.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.*)$", text, flags=re.M)
    out = {}
    for i in range(1, len(parts), 2):
        header = re.match(r"`(fastiter[\w/]*\.h)`", parts[i])
        if header:
            out[header.group(1)] = parts[i + 1]
    return out


def test_every_public_c_name_is_documented():
    doc = (DOCS / "c-api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\b(?:fi|FI)_\w+", doc))
    missing = {h: sorted(_header_names(t) - documented) for h, t in _headers().items()}
    missing = {h: m for h, m in missing.items() if m}
    assert not missing, f"public C names without a word in docs/c-api.md: {missing}"


def test_documented_c_names_exist():
    headers = _headers()
    declared = set().union(*(_header_names(t) for t in headers.values()))
    # typed one-hot family, generated by a macro: fi_one_hot_<label>_<out>
    labels, outs = ("i8", "i16", "i32", "i64", "u8", "u16"), ("u8", "i32", "f16", "f32", "f64")
    declared |= {f"fi_one_hot_{a}_{b}" for a in labels for b in outs}
    for header, body in _doc_sections().items():
        if header not in headers:
            continue  # a header still on its branch; its section carries a TODO mark
        named = set(re.findall(r"(?<![.\w])(?:fi|FI)_\w+", body))  # not kernels.FI_...
        unknown = sorted(n for n in named if n not in declared and not n.endswith("_"))
        assert not unknown, f"docs/c-api.md ({header}) names what no header declares: {unknown}"


def test_sources_dir_has_the_core():
    assert c_sources(), f"no C sources under {fastiter.get_source_dir()}"
    assert os.path.isfile(os.path.join(fastiter.get_include(), "fastiter.h"))
