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

__all__ = ["Case", "run_cases", "default_cases", "write_report"]


@dataclass
class Case:
    """One benchmark: a fastiter callable, its peers, and the bytes it must move."""

    group: str
    fastiter: Callable[[], Any]
    peers: dict[str, Callable[[], Any] | None]
    nbytes: int
    ceiling: Callable[[], Any] | None = None
    notes: list[str] = field(default_factory=list)


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


def run_cases(cases: list[Case], repeat: int = 5, min_time: float = 0.05,
              echo: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Time every case; one result row per case."""
    rows = []
    for case in cases:
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
        rows.append(row)
        peers = ", ".join(f"{k} {v['ratio']:.2f}x" for k, v in row["peers"].items())
        ceil = f", {row['x_ceiling']:.2f}x ceiling" if "x_ceiling" in row else ""
        echo(f"{case.group:<34} {t_fi * 1e3:9.3f} ms {row['gbps']:7.2f} GB/s{ceil}"
             f"  | speed-up vs {peers or 'no peers'}")
        for note in row["notes"]:
            echo(f"{'':<36}note: {note}")
    return rows


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
    n, c = (200_000, 10) if quick else (1_000_000, 10)
    labels = rng.integers(0, c, n)
    out = np.empty((n, c), np.float32)

    def numpy_one_hot() -> np.ndarray:
        o = np.zeros((n, c), np.float32)
        o[np.arange(n), labels] = 1
        return o

    tl = torch.from_numpy(labels) if torch else None
    cases.append(Case(
        f"one_hot {n}x{c} f32 out=", lambda: kernels.one_hot(labels, c, out=out),
        {"numpy zeros+fancy": numpy_one_hot,
         "torch one_hot().float()": (lambda: torch.nn.functional.one_hot(tl, c).float())
         if torch else None},
        out.nbytes, ceiling=lambda: out.fill(1.0)))
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
    from fastiter.preprocessing import _bench_cases
    cases += _bench_cases.cases(quick)
    from fastiter.iterators import _bench_cases as _iterator_cases
    cases += _iterator_cases.cases(quick)
    from fastiter.netcdf import _bench_cases as _writer_cases
    cases += _writer_cases.cases(quick)
    from fastiter.netcdf import _read_bench_cases
    cases += _read_bench_cases.cases(quick)
    return cases


def write_report(rows: list[dict[str, Any]], out_dir: str | Path) -> tuple[Path, Path]:
    """Save ``results.json`` and a bar chart ``results.png`` of the speed-ups."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.machine(),
            "processor": platform.processor(), "python": platform.python_version()}
    jpath = out / "results.json"
    jpath.write_text(json.dumps({"meta": meta, "results": rows}, indent=2))
    labels, ratios = [], []
    for r in rows:
        for peer, v in r["peers"].items():
            labels.append(f"{r['group']}\nvs {peer}")
            ratios.append(v["ratio"])
    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.45 * max(1, len(labels))))
    ax.barh(range(len(ratios)), ratios, color="tab:blue")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("speed-up of fastiter over the peer (peer time / fastiter time)")
    ax.set_title(f"fastiter bench, {meta['date']}")
    fig.tight_layout()
    ppath = out / "results.png"
    fig.savefig(ppath, dpi=100)
    plt.close(fig)
    return jpath, ppath
