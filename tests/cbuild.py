"""Compile and run C programs against the C core, as an embedding program would."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fastiter

ROOT = Path(__file__).resolve().parents[1]
SANITIZERS = {
    None: [],
    "asan": [
        "-fsanitize=address,undefined",
        "-fno-sanitize-recover=all",
        "-fno-omit-frame-pointer",
    ],
    "tsan": ["-fsanitize=thread"],
}


def c_sources() -> list[str]:
    """The core's translation units, from the folder fastiter ships them in."""
    return sorted(str(p) for p in Path(fastiter.get_source_dir()).glob("*.c"))


def _flags(sanitize: str | None) -> list[str]:
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    return [
        cc,
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-pedantic",
        "-Werror",
        "-O1",
        "-g",
        "-pthread",
        f"-I{fastiter.get_include()}",
        f"-I{fastiter.get_source_dir()}",
        *SANITIZERS[sanitize],
    ]


def _check(cmd: list[str]) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, f"compile failed:\n{' '.join(cmd)}\n{res.stderr}"


def compile_c(
    sources: list[str], out: Path, sanitize: str | None = None, extra: list[str] | None = None
) -> Path:
    _check([*_flags(sanitize), *sources, *(extra or []), "-lm", "-o", str(out)])
    return out


_CORE_DIR = Path(tempfile.mkdtemp(prefix="fastiter-core-objects-"))
atexit.register(shutil.rmtree, _CORE_DIR, ignore_errors=True)
_core_built: dict[tuple[str | None, bool], list[str]] = {}


def core_objects(sanitize: str | None = None, pic: bool = False) -> list[str]:
    """The core's object files, compiled once per test run for each sanitizer.

    Every C test links the same translation units with the same flags, so compiling them
    for each test only repeated the work (about a minute and a half of the suite). The
    objects are linked as an embedding program links a static build of the core.
    """
    key = (sanitize, pic)
    if key not in _core_built:
        folder = _CORE_DIR / f"{sanitize or 'plain'}{'-pic' if pic else ''}"
        folder.mkdir()
        extra = ["-fPIC"] if pic else []
        jobs = [
            ([*_flags(sanitize), *extra, "-c", src, "-o", str(folder / (Path(src).stem + ".o"))])
            for src in c_sources()
        ]
        with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
            list(pool.map(_check, jobs))
        _core_built[key] = [cmd[-1] for cmd in jobs]
    return list(_core_built[key])


def run(exe: Path, timeout: float = 300, env: dict | None = None) -> str:
    res = subprocess.run(
        [str(exe)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert res.returncode == 0, f"{exe.name} exited {res.returncode}:\n{res.stdout}\n{res.stderr}"
    return res.stdout
