"""Compile and run C programs against the C core, as an embedding program would."""

from __future__ import annotations

import os
import shutil
import subprocess
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


def compile_c(
    sources: list[str], out: Path, sanitize: str | None = None, extra: list[str] | None = None
) -> Path:
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    cmd = [
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
        *sources,
        *(extra or []),
        "-lm",
        "-o",
        str(out),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, f"compile failed:\n{' '.join(cmd)}\n{res.stderr}"
    return out


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
