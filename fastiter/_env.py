"""Every ``FASTITER_*`` environment variable, parsed in one place.

A bad value never breaks ``import fastiter``: it is reported once with a
:class:`ConfigWarning` naming the variable, the value and what was expected, and the
default is used instead.  The C core reads ``FASTITER_NUM_THREADS`` with the same
grammar (``csrc/threads.c``), and inside Python the pool size is set from here, so both
sides always agree.  ``fastiter config`` lists each variable with its effective value.

This module imports only the standard library: ``setup.py`` loads it by path for
``FASTITER_DEBUG`` before anything is built.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ConfigWarning", "Setting", "SETTINGS", "get", "default", "parse", "describe"]


class ConfigWarning(RuntimeWarning):
    """A ``FASTITER_*`` variable held a value fastiter cannot use; the default was used."""


@dataclass(frozen=True)
class Setting:
    """One variable: its grammar (``kind`` and bounds), its default and what it does."""

    name: str
    kind: str  # "int", "float", "bool" or "path"
    default: Any  # a value, or a callable computing it
    doc: str
    lo: float | None = None
    hi: float | None = None
    scope: str = "runtime"  # "runtime", "bench" or "build"


def _default_threads() -> int:
    from fastiter._cpus import available_cpus

    return min(available_cpus(), 1024)


def _default_data_home() -> Path:
    return (Path.home() / ".fastiter" / "data").absolute()


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting(
            "FASTITER_NUM_THREADS",
            "int",
            _default_threads,
            "threads of the native kernel pool, the caller included (default: the CPUs "
            "this process may use: affinity mask and cgroup quota)",
            1,
            1024,
        ),
        Setting(
            "FASTITER_BLAS_CAP",
            "bool",
            True,
            "shrink the BLAS/OpenMP pools while async producers run",
        ),
        Setting(
            "FASTITER_ASYNC_BLOCK_CACHE",
            "bool",
            True,
            "recycle the memory of prefetched batches (async producers)",
        ),
        Setting(
            "FASTITER_ASYNC_GATE",
            "bool",
            True,
            "async producers beyond the cores a busy consumer leaves free wait their turn",
        ),
        Setting(
            "FASTITER_OUTPUT_CACHE",
            "bool",
            True,
            "recycle the memory of large allocating kernel outputs (at most 4 blocks, "
            "1 GiB, kept mapped until release_output_cache(); read at import)",
        ),
        Setting(
            "FASTITER_DISABLE_JIT",
            "bool",
            False,
            "run fastiter.jit functions as plain Python (read at import)",
        ),
        Setting(
            "FASTITER_NC_LAYOUT",
            "bool",
            True,
            "write netCDF data through the cached HDF5 layout (read at import)",
        ),
        Setting(
            "FASTITER_DISABLE_SIMD",
            "bool",
            False,
            "run the portable scalar loops instead of AVX2/AVX-512 (read by the C core "
            "at its first kernel call)",
        ),
        Setting(
            "FASTITER_STREAM_THRESHOLD",
            "int",
            None,
            "one-hot outputs up to this many bytes are written with ordinary stores and "
            "stay cached, larger ones streamed past it (0 streams all; default 3/4 of the "
            "last-level cache; read by the C core at its first one-hot call)",
            0,
            999_999_999,
        ),
        Setting(
            "FASTITER_DATA_HOME", "path", _default_data_home, "folder of the benchmark datasets"
        ),
        Setting(
            "FASTITER_BENCH_RECORDS_FRACTION",
            "float",
            None,
            "bench/: scale of the record-reader data (1.0 = the issue's sizes)",
            0,
            1000,
            "bench",
        ),
        Setting(
            "FASTITER_BENCH_NETCDF_SCALE",
            "int",
            None,
            "bench/: 36 * k months of the full rasm grid for the netCDF writer",
            1,
            10_000,
            "bench",
        ),
        Setting(
            "FASTITER_BENCH_NETCDF_MONTHS",
            "int",
            None,
            "bench/: that many months of the full rasm grid for the netCDF writer (480 is "
            "217 MB, 2220 is 1.0 GB); overrides FASTITER_BENCH_NETCDF_SCALE",
            12,
            360_000,
            "bench",
        ),
        Setting(
            "FASTITER_DEBUG",
            "bool",
            False,
            "build the native code without optimisation, with assertions",
            scope="build",
        ),
    ]
}

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_warned: set[tuple[str, str]] = set()


def _expected(s: Setting) -> str:
    if s.kind == "int":
        return f"an integer in [{s.lo:g}, {s.hi:g}]"
    if s.kind == "float":
        return f"a number in ({s.lo:g}, {s.hi:g}]"
    if s.kind == "bool":
        return "one of 1/true/yes/on or 0/false/no/off"
    return "a folder path"


def parse(name: str, raw: str) -> Any:
    """``raw`` read as variable ``name``; ValueError (naming both) when it does not fit.

    >>> parse("FASTITER_NUM_THREADS", " 4 "), parse("FASTITER_BLAS_CAP", "off")
    (4, False)
    """
    s = SETTINGS[name]
    text = raw.strip()
    try:
        if s.kind == "int" and text.isascii() and text.isdigit() and len(text) < 10:
            value: Any = int(text)
            if s.lo <= value <= s.hi:
                return value
        elif s.kind == "float":
            value = float(text)
            if math.isfinite(value) and s.lo < value <= s.hi:
                return value
        elif s.kind == "bool" and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        elif s.kind == "path" and text:
            return Path(text).expanduser().absolute()
    except ValueError:
        pass
    raise ValueError(f"{name}={raw!r} is not {_expected(s)}")


def default(name: str) -> Any:
    """The value ``name`` takes when unset (or set to something unusable)."""
    d = SETTINGS[name].default
    return d() if callable(d) else d


def get(name: str) -> Any:
    """The effective value of ``name`` now: the environment's when valid, else the
    default (with one :class:`ConfigWarning` per bad value).  Unset or empty means the
    default.

    >>> get("FASTITER_NUM_THREADS") >= 1
    True
    """
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default(name)
    try:
        return parse(name, raw)
    except ValueError as exc:
        fallback = default(name)
        if (name, raw) not in _warned:
            _warned.add((name, raw))
            warnings.warn(f"{exc}; using the default ({fallback})", ConfigWarning, stacklevel=2)
        return fallback


def describe() -> list[tuple[str, str, Any, str]]:
    """``(name, raw value or 'unset', effective value, note)`` for every variable, the
    note saying what it does, or why a set value was ignored."""
    rows = []
    for name, s in SETTINGS.items():
        raw = os.environ.get(name)
        note = s.doc if s.scope == "runtime" else f"[{s.scope}] {s.doc}"
        value: Any
        if raw is None or not raw.strip():
            value = default(name)
        else:
            try:
                value = parse(name, raw)
            except ValueError as exc:
                value, note = default(name), f"IGNORED: {exc}"
        rows.append((name, "unset" if raw is None else repr(raw), value, note))
    return rows
