"""``fastiter bench``: kernels, iterators and the writer against their peers, in one process.

Each case times fastiter and its peers on the same inputs in the same run, together with
the memcpy ceiling for the bytes the case must move, and reports ratios (peer time /
fastiter time: above 1 means fastiter is faster) and GB/s.  Peers that are not installed
(torch) are skipped with a note.  Results go to ``results.json`` and ``results.png``.
"""
from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from fastiter._extras import require_extra

require_extra("bench", "fastiter.benchmark", ["matplotlib"])

__all__ = ["Case", "run_cases", "default_cases", "write_report", "plot_ratios",
           "format_rows", "format_ratio", "describe_ratio", "describe_ceiling", "format_seconds"]


@dataclass
class Case:
    """One benchmark: a fastiter callable, its peers, and the bytes it must move."""

    group: str
    fastiter: Callable[[], Any]
    peers: dict[str, Callable[[], Any] | None]
    nbytes: int
    ceiling: Callable[[], Any] | None = None
    notes: list[str] = field(default_factory=list)
    threads: int | None = None  # fastiter's pool size while this case runs (None: as set)


def best_time(fn: Callable[[], Any], repeat: int = 5, min_time: float = 0.05) -> float:
    """Best-of-``repeat`` seconds per call, each repeat looping for at least ``min_time``."""
    fn()  # warm up: page faults, JIT, caches
    best = float("inf")
    for _ in range(repeat):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = min(best, dt / n)
    return best


def format_seconds(seconds: float) -> str:
    """A duration with a unit that keeps 3-4 significant digits.

    >>> format_seconds(0.0000167), format_seconds(0.0293), format_seconds(2.5)
    ('16.7 µs', '29.3 ms', '2.50 s')
    """
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            value = seconds / scale
            digits = 0 if value >= 100 else 1 if value >= 10 else 2
            return f"{value:.{digits}f} {unit}"
    return f"{seconds * 1e9:.0f} ns"


def format_ratio(ratio: float) -> str:
    """A ratio with three significant digits, trailing zeros kept.

    >>> format_ratio(5.0), format_ratio(12.94), format_ratio(373.2)
    ('5.00×', '12.9×', '373×')
    """
    digits = 0 if ratio >= 99.95 else 1 if ratio >= 9.995 else 2
    return f"{ratio:.{digits}f}×"


def describe_ratio(ratio: float, peer: str) -> str:
    """A peer's ratio (peer time / fastiter time) in words.

    >>> describe_ratio(12.9, "numpy"), describe_ratio(0.8, "torch")
    ('12.9× faster than numpy', '1.25× slower than torch')
    """
    if ratio >= 1:
        return f"{format_ratio(ratio)} faster than {peer}"
    return f"{format_ratio(1 / ratio)} slower than {peer}"


def describe_ceiling(x_ceiling: float) -> str:
    """fastiter's time over the ceiling's time, in words (1× is the best possible).

    >>> describe_ceiling(1.59)
    "1.59× the ceiling's time"
    """
    return f"{format_ratio(x_ceiling)} the ceiling's time"


def _header(width: int) -> str:
    return f"{'case':<{width}}  {'fastiter':>9}  {'GB/s':>7}  against the ceiling"


def _case_lines(r: dict[str, Any], width: int) -> list[str]:
    ceil = describe_ceiling(r["x_ceiling"]) if "x_ceiling" in r else "no ceiling measured"
    lines = [f"{r['group']:<{width}}  {format_seconds(r['fastiter_s']):>9}  "
             f"{r['gbps']:7.2f}  {ceil}"]
    for peer, v in r["peers"].items():
        lines.append(f"    {describe_ratio(v['ratio'], peer)} ({format_seconds(v['seconds'])})")
    lines.extend(f"    note: {note}" for note in r["notes"])
    return lines


def format_rows(rows: list[dict[str, Any]]) -> list[str]:
    """The text report: a header, one line per case (the name column as wide as the
    longest name), then one indented line per peer and note."""
    width = max([len("case")] + [len(r["group"]) for r in rows])
    return [_header(width)] + [line for r in rows for line in _case_lines(r, width)]


def run_cases(cases: list[Case], repeat: int = 5, min_time: float = 0.05,
              echo: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Time every case; one result row per case, echoed as each case finishes."""
    rows = []
    width = max([len("case")] + [len(c.group) for c in cases])
    echo(_header(width))
    for case in cases:
        if case.threads is not None:
            from fastiter import kernels

            old_threads = kernels.get_num_threads()
            kernels.set_num_threads(case.threads)
        try:
            row = _run_case(case, repeat, min_time)
        finally:
            if case.threads is not None:
                kernels.set_num_threads(old_threads)
        rows.append(row)
        for line in _case_lines(row, width):
            echo(line)
    return rows


def _run_case(case: Case, repeat: int, min_time: float) -> dict[str, Any]:
    """Time one case's fastiter callable, its ceiling and its peers."""
    t_fi = best_time(case.fastiter, repeat, min_time)
    row: dict[str, Any] = {"group": case.group, "fastiter_s": t_fi,
                           "gbps": case.nbytes / t_fi / 1e9, "peers": {},
                           "notes": list(case.notes)}
    if case.ceiling is not None:
        t_c = best_time(case.ceiling, repeat, min_time)
        row["ceiling_s"] = t_c
        row["x_ceiling"] = t_fi / t_c
    for name, fn in case.peers.items():
        if fn is None:
            row["notes"].append(f"{name}: skipped (not installed)")
            continue
        t_p = best_time(fn, repeat, min_time)
        row["peers"][name] = {"seconds": t_p, "ratio": t_p / t_fi}
    return row


def _optional(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        return None


def default_cases(quick: bool = False) -> list[Case]:
    """Kernel, iterator and writer cases at realistic sizes (smaller with ``quick``)."""
    from fastiter import kernels

    torch = _optional("torch")
    rng = np.random.default_rng(2026)
    cases = []
    from fastiter import _bench_kernel_cases
    cases += _bench_kernel_cases.one_hot_cases(quick, torch)
    rows, b = (10_000 if quick else 60_000), 128  # MNIST-shaped image batches
    pixels = rng.integers(1, 256, (rows, 784), dtype=np.uint8)
    pick = rng.permutation(rows)[:b]
    batch = np.empty((b, 784), np.float32)
    floats = rng.random((b, 784), dtype=np.float32) + np.float32(0.5)
    cases.append(Case(
        f"gather_scaled {b}x784 u8->f32 out=",
        lambda: kernels.gather_scaled(pixels, pick, 1 / 255, out=batch),
        {"numpy fancy+astype/255": lambda: pixels[pick].astype(np.float32) / 255.0},
        batch.nbytes, ceiling=lambda: np.copyto(batch, floats)))
    cases += _bench_kernel_cases.cases(quick)
    from fastiter.preprocessing import _bench_cases
    cases += _bench_cases.cases(quick)
    from fastiter.iterators import _bench_cases as _iterator_cases
    cases += _iterator_cases.cases(quick)
    from fastiter.netcdf import _bench_cases as _writer_cases
    cases += _writer_cases.cases(quick)
    from fastiter.netcdf import _read_bench_cases
    cases += _read_bench_cases.cases(quick)
    return cases


def plot_ratios(rows: list[dict[str, Any]], path: str | Path, title: str = "") -> list[str]:
    """Draw every peer's ratio as a bar from 1 on a log scale and save it as a PNG.

    Wins (peer slower) grow right in green, losses (peer faster) grow left in red, so a
    loss is a visible bar, not a stub; each bar carries its ratio in words.  Returns the
    value labels as read back from the figure, top to bottom.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    names, ratios = [], []
    for r in rows:
        for peer, v in r["peers"].items():
            names.append(f"{r['group']}\nvs {peer}")
            ratios.append(v["ratio"])
    fig, ax = plt.subplots(figsize=(10, 1.0 + 0.5 * max(1, len(names))))
    ax.set_xscale("log")
    ys = list(range(len(ratios)))[::-1]  # the first case on top
    colors = ["tab:green" if q >= 1 else "tab:red" for q in ratios]
    ax.barh(ys, [q - 1 for q in ratios], left=1.0, color=colors, height=0.6)
    ax.axvline(1.0, color="k", lw=0.8)
    lo = min([0.5, *ratios]) / 3.0  # room for the labels left of the longest loss
    hi = max([2.0, *ratios]) * 3.0  # room for the labels right of the longest win
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200,
                         500, 1000, 2000, 5000) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
    for y, q in zip(ys, ratios):
        word = f"{format_ratio(q)} faster" if q >= 1 else f"{format_ratio(1 / q)} slower"
        ax.text(q * 1.08 if q >= 1 else q / 1.08, y, word, va="center",
                ha="left" if q >= 1 else "right", fontsize=8)
    ax.set_yticks(ys, names, fontsize=7)
    ax.set_ylim(-0.7, len(ratios) - 0.3)
    ax.set_xlabel("peer time / fastiter time: right of 1, fastiter is faster; "
                  "left of 1, the peer is faster")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    drawn = [t.get_text() for t in sorted(ax.texts, key=lambda t: -t.get_position()[1])]
    plt.close(fig)
    return drawn


def write_report(rows: list[dict[str, Any]], out_dir: str | Path) -> tuple[Path, Path]:
    """Save ``results.png``, a chart of the ratios (``plot_ratios``), and ``results.json``:
    the rows, the machine, and the chart's value labels as drawn, top to bottom."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.machine(),
            "processor": platform.processor(), "python": platform.python_version()}
    ppath = out / "results.png"
    labels = plot_ratios(rows, ppath, title=f"fastiter bench, {meta['date']}")
    jpath = out / "results.json"
    jpath.write_text(json.dumps({"meta": meta, "results": rows, "chart_labels": labels},
                                indent=2, ensure_ascii=False))
    return jpath, ppath
