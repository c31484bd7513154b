"""The timing and the reports of ``fastiter bench`` (the cases are in the registry).

Each case times fastiter and its peers on the same inputs in the same run, together with
the memcpy ceiling for the bytes the case must move, and reports ratios (peer time /
fastiter time: above 1 means fastiter is faster) and GB/s.  Peers that are not installed
(torch) are skipped with a note.  Results go to ``results.json`` and ``results.png``.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from fastiter._extras import require_extra

require_extra("bench", "fastiter.bench", ["matplotlib"])

__all__ = [
    "Case",
    "best_time",
    "cores_free",
    "interleaved_times",
    "together",
    "round_order",
    "run_case",
    "run_cases",
    "write_report",
    "plot_ratios",
    "format_rows",
    "format_ratio",
    "format_rate",
    "describe_ratio",
    "describe_ceiling",
    "format_seconds",
    "machine",
    "markdown_table",
    "optional",
]


@dataclass
class Case:
    """One benchmark: a fastiter callable, its peers, and the bytes it must move.

    ``ceiling`` is one callable (the time to merely copy or fill the bytes) or a dict of
    named limits whose slowest one is the bound (issue 19's netCDF limit: max(compute
    alone, page-cache write of the same bytes)).  ``setup`` runs untimed before every
    timed call (a fresh output folder); such cases, and those with ``rounds`` set, time
    single calls, best of ``rounds``.  ``items`` makes the reports give a rate (items/s).
    ``check`` asserts on what fastiter produced (run once after the timings by the
    pytest runner, bench/).  ``key`` names the case the same at every size.  ``close``
    releases what the case holds (a cluster's processes) once it has been timed.
    """

    group: str
    fastiter: Callable[[], Any]
    peers: dict[str, Callable[[], Any] | None]
    nbytes: int
    ceiling: Callable[[], Any] | dict[str, Callable[[], Any]] | None = None
    notes: list[str] = field(default_factory=list)
    threads: int | None = None  # fastiter's pool size while this case runs (None: as set)
    key: str = ""
    setup: Callable[[], Any] | None = None
    rounds: int | None = None
    items: int | None = None
    check: Callable[[], Any] | None = None
    summary: Callable[[dict[str, Any]], str] | None = None  # a derived figure, from the row
    close: Callable[[], Any] | None = None  # frees what the case holds (a cluster), once timed

    def __post_init__(self) -> None:
        if not self.key:
            self.key = self.group

    def ceilings(self) -> dict[str, Callable[[], Any]]:
        """The ceiling as named callables (one, or each part of a max())."""
        if self.ceiling is None:
            return {}
        if callable(self.ceiling):
            return {"ceiling": self.ceiling}
        return dict(self.ceiling)

    def roles(self) -> dict[str, Callable[[], Any] | None]:
        """Every timed callable by role: fastiter, the ceiling(s), then each peer."""
        return {"fastiter": self.fastiter, **self.ceilings(), **self.peers}


def best_time(
    fn: Callable[[], Any],
    repeat: int = 5,
    min_time: float = 0.05,
    setup: Callable[[], Any] | None = None,
    warm: bool = True,
) -> float:
    """Best-of-``repeat`` seconds per call, each repeat looping for at least ``min_time``.

    With ``setup`` each timed call is one call, preceded by ``setup()`` outside the
    timing (a fresh output folder for a writer)."""
    if warm:
        if setup is not None:
            setup()
        fn()  # warm up: page faults, JIT, caches
    best = float("inf")
    for _ in range(repeat):
        if setup is not None:
            setup()
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
            continue
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


def format_rate(items_per_s: float) -> str:
    """An item rate with 3 significant digits.

    >>> format_rate(1.08e7), format_rate(1.5e5)
    ('10.8 M items/s', '0.150 M items/s')
    """
    m = items_per_s / 1e6
    digits = 0 if m >= 99.95 else 1 if m >= 9.995 else 2 if m >= 0.9995 else 3
    return f"{m:.{digits}f} M items/s"


def _fastiter_figure(r: dict[str, Any]) -> str:
    if r.get("items"):
        return format_rate(r["items"] / r["fastiter_s"])
    return format_seconds(r["fastiter_s"])


def _peer_figure(r: dict[str, Any], seconds: float) -> str:
    if r.get("items"):
        return format_rate(r["items"] / seconds)
    return format_seconds(seconds)


def _header(width: int) -> str:
    return f"{'case':<{width}}  {'fastiter':>9}  {'GB/s':>7}  against the ceiling"


def _describe_bound(r: dict[str, Any]) -> str:
    if "x_ceiling" not in r:
        return "no ceiling measured"
    parts = r.get("ceiling_parts", {})
    if len(parts) > 1:
        inner = ", ".join(f"{k} {format_seconds(v)}" for k, v in parts.items())
        return f"{describe_ceiling(r['x_ceiling'])} (max of {inner})"
    return describe_ceiling(r["x_ceiling"])


def _case_lines(r: dict[str, Any], width: int) -> list[str]:
    lines = [
        f"{r['group']:<{width}}  {format_seconds(r['fastiter_s']):>9}  "
        f"{r['gbps']:7.2f}  {_describe_bound(r)}"
    ]
    if r.get("items"):
        lines.append(f"    fastiter {_fastiter_figure(r)}")
    if r.get("summary"):
        lines.append(f"    {r['summary']}")
    for peer, v in r["peers"].items():
        lines.append(f"    {describe_ratio(v['ratio'], peer)} ({_peer_figure(r, v['seconds'])})")
    lines.extend(f"    note: {note}" for note in r["notes"])
    return lines


def format_rows(rows: list[dict[str, Any]]) -> list[str]:
    """The text report: a header, one line per case (the name column as wide as the
    longest name), then one indented line per peer and note."""
    width = max([len("case")] + [len(r["group"]) for r in rows])
    return [_header(width)] + [line for r in rows for line in _case_lines(r, width)]


def run_cases(
    cases: Iterable[Case],
    repeat: int = 5,
    min_time: float = 0.05,
    echo: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Time every case; one result row per case, echoed as each case finishes.

    ``cases`` may be a generator (the registry builds one family at a time, so the
    inputs of the finished ones can be freed)."""
    rows = []
    width = max([len("case")] + [len(c.group) for c in cases]) if isinstance(cases, list) else 64
    echo(_header(width))
    for case in cases:
        rows.append(run_case(case, repeat, min_time))
        for line in _case_lines(rows[-1], width):
            echo(line)
    return rows


def run_case(
    case: Case,
    repeat: int = 5,
    min_time: float = 0.05,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Time one case's fastiter callable, its ceiling(s) and its peers (fastiter's pool
    set to ``case.threads`` meanwhile); the row of :func:`run_cases`.

    The roles are interleaved round by round (:func:`interleaved_times`), so a change of
    the shared machine's load hits fastiter and its peers alike.  ``clock`` is the
    timer (a fake one in the tests)."""
    from fastiter import kernels

    old_threads = kernels.get_num_threads()
    if case.threads is not None:
        kernels.set_num_threads(case.threads)
    try:
        return _run_case(case, repeat, min_time, clock)
    finally:
        kernels.set_num_threads(old_threads)
        if case.close is not None:
            case.close()


def round_order(roles: list[str], r: int) -> list[str]:
    """The order the roles run in round ``r``: as listed on even rounds, reversed on odd
    ones, so no role always runs first (after an idle core) or last.

    >>> round_order(["fastiter", "ceiling", "numpy"], 0), round_order(["fastiter", "numpy"], 1)
    (['fastiter', 'ceiling', 'numpy'], ['numpy', 'fastiter'])
    """
    return list(roles) if r % 2 == 0 else list(reversed(roles))


def interleaved_times(
    roles: dict[str, Callable[[], Any]],
    rounds: int,
    min_time: float,
    setup: Callable[[], Any] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Best seconds per call of every role, the roles taking turns round by round.

    Every role is warmed once (page faults, JIT, caches), then each round times every
    role once, in :func:`round_order`: one call after ``setup()`` (untimed) when there is
    a setup, else calls in a loop for at least ``min_time``.  Timing fastiter's rounds
    first and the peers' afterwards would let a change of load in between bias the
    ratios; interleaved, it hits every role alike."""
    for fn in roles.values():
        if setup is not None:
            setup()
        fn()
    best = dict.fromkeys(roles, float("inf"))
    for r in range(rounds):
        for name in round_order(list(roles), r):
            best[name] = min(best[name], _one_round(roles[name], min_time, setup, clock))
    return best


def _one_round(
    fn: Callable[[], Any],
    min_time: float,
    setup: Callable[[], Any] | None,
    clock: Callable[[], float],
) -> float:
    if setup is not None:
        setup()
        t0 = clock()
        fn()
        return clock() - t0
    n, t0 = 0, clock()
    while True:
        fn()
        n += 1
        dt = clock() - t0
        if dt >= min_time:
            return dt / n


def _run_case(
    case: Case, repeat: int, min_time: float, clock: Callable[[], float]
) -> dict[str, Any]:
    ceilings = case.ceilings()
    live = {k: fn for k, fn in case.peers.items() if fn is not None}
    times = interleaved_times(
        {"fastiter": case.fastiter, **ceilings, **live},
        case.rounds or repeat,
        0.0 if case.rounds else min_time,
        setup=case.setup,
        clock=clock,
    )
    t_fi = times["fastiter"]
    row: dict[str, Any] = {
        "group": case.group,
        "key": case.key,
        "fastiter_s": t_fi,
        "gbps": case.nbytes / t_fi / 1e9,
        "peers": {},
        "notes": list(case.notes),
    }
    if case.items:
        row["items"] = case.items
    parts = {name: times[name] for name in ceilings}
    if parts:
        row["ceiling_s"] = max(parts.values())
        row["x_ceiling"] = t_fi / row["ceiling_s"]
        if len(parts) > 1:
            row["ceiling_parts"] = parts
    for name, fn in case.peers.items():
        if fn is None:
            row["notes"].append(f"{name}: skipped (not installed)")
            continue
        row["peers"][name] = {"seconds": times[name], "ratio": times[name] / t_fi}
    if case.summary is not None:
        row["summary"] = case.summary(row)
    return row


def optional(module: str) -> Any:
    """The module, or None when it is not installed (its peers are then skipped)."""
    try:
        return __import__(module)
    except ImportError:
        return None


_optional = optional  # the name the case modules used before the registry


def cores_free(threads: int | None = None, reps: int = 25) -> float:
    """How many cores a compute-bound job found free just now: the time of ``reps``
    ufunc passes over an L2-sized array on one thread, times ``threads``, over the wall
    time of ``threads`` threads each making the same passes at once (numpy releases the
    GIL in the loop).  The load average says how many jobs queued over a minute; this
    says whether a 2-thread figure had its second core while it was measured (issue 19:
    a 2-thread one-hot row read 0.80x numba prange when it had not, 1.37x when it had).

    >>> free = cores_free(reps=5)  # about 2.0 on an idle 2-core machine
    >>> isinstance(free, float) and free > 0
    True
    """
    import os

    n = threads or min(os.cpu_count() or 1, 8)
    a = np.linspace(0.0, 1.0, 65536)  # 512 KiB: in L2, long calls, few GIL turns

    def work(out: np.ndarray) -> None:
        for _ in range(reps):
            np.sin(a, out=out)

    outs = [np.empty_like(a) for _ in range(n)]
    one = best_time(lambda: work(outs[0]), 3, 0.0)
    many = best_time(together(*(partial(work, o) for o in outs)), 3, 0.0)
    return n * one / many


def together(*fns: Callable[[], Any]) -> Callable[[], None]:
    """A callable running every ``fn`` on its own plain thread at once (joined): the
    controls and probes that measure what two threads get from the machine.

    >>> out = []
    >>> together(lambda: out.append(1), lambda: out.append(2))(); sorted(out)
    [1, 2]
    """
    import threading

    def run() -> None:
        threads = [threading.Thread(target=fn) for fn in fns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    return run


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU model, cores, memory, versions, date."""
    import os

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("numba", "torch", "xarray", "dask", "netCDF4"):
        mod = optional(name)
        if mod is not None:
            versions[name] = getattr(mod, "__version__", "?")
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    from fastiter import kernels

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem / 2**30, 1) if mem else None,
        "fastiter_threads": kernels.get_num_threads(),
        "load_1min": load,
        "cores_free": round(cores_free(), 2),
        "versions": versions,
        "platform": platform.platform(),
    }


def _free_text(meta: dict[str, Any]) -> str:
    """The cores-free probe's figures (:func:`cores_free`), at the start and the end."""
    start, end = meta.get("cores_free"), meta.get("cores_free_end")
    if start is None:
        return ""
    text = f"; cores free by a compute probe {start:.2f} at the start"
    return text + (f", {end:.2f} at the end" if end is not None else "")


def _md_peer(r: dict[str, Any], name: str, v: dict[str, Any]) -> str:
    return f"{name} {_peer_figure(r, v['seconds'])}"


def markdown_table(rows: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> str:
    """The README's benchmark table from one run: a sentence naming the machine, then
    one row per case (fastiter, every peer and the ceiling with their times, and the
    speed-ups: peer time / fastiter time, the ceiling as fastiter's time over its)."""
    meta = meta or machine()
    v = meta["versions"]
    libs = ", ".join(f"{k} {x}" for k, x in v.items())
    load = meta.get("load_1min")
    lines = [
        f"Measured with `fastiter bench --markdown` on {meta['date']}: {meta['cpu']}, "
        f"{meta['cores']} cores, {meta['memory_gib']} GiB, {libs}; "
        f"1-minute load average {load:.2f} when it started{_free_text(meta)}. "
        f"Best of 5 rounds (netCDF: best of 3, the 16 MB writer: best of 9), every peer in "
        f"the same run, the roles "
        f"taking turns round by round. "
        f"Speed-up = peer time / fastiter time.",
        "",
        "| workload | fastiter | peers and ceiling (same run) | speed-up |",
        "|---|---|---|---|",
    ]
    if meta.get("skipped"):
        lines[0] += " Not in this run: " + "; ".join(meta["skipped"]) + "."
    for r in rows:
        fig = _fastiter_figure(r)
        if r.get("summary"):
            fig += f"; {r['summary']}"
        peers = [_md_peer(r, k, x) for k, x in r["peers"].items()]
        ups = [format_ratio(x["ratio"]) for x in r["peers"].values()]
        if "x_ceiling" in r:
            parts = r.get("ceiling_parts")
            what = (
                "limit max(" + ", ".join(f"{k} {format_seconds(s)}" for k, s in parts.items()) + ")"
                if parts
                else f"ceiling {format_seconds(r['ceiling_s'])}"
            )
            peers.append(what)
            ups.append(
                f"{format_ratio(r['x_ceiling'])} the {'limit' if parts else 'ceiling'}'s time"
            )
        skipped = [n for n in r["notes"] if n.endswith("skipped (not installed)")]
        peers += skipped
        lines.append(
            f"| {r['group']} | {fig} | {' · '.join(peers) or '—'} | {' · '.join(ups) or '—'} |"
        )
    return "\n".join(lines) + "\n"


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
    ticks = [
        t
        for t in (
            0.01,
            0.02,
            0.05,
            0.1,
            0.2,
            0.5,
            1,
            2,
            5,
            10,
            20,
            50,
            100,
            200,
            500,
            1000,
            2000,
            5000,
        )
        if lo <= t <= hi
    ]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
    for y, q in zip(ys, ratios):
        word = f"{format_ratio(q)} faster" if q >= 1 else f"{format_ratio(1 / q)} slower"
        ax.text(
            q * 1.08 if q >= 1 else q / 1.08,
            y,
            word,
            va="center",
            ha="left" if q >= 1 else "right",
            fontsize=8,
        )
    ax.set_yticks(ys, names, fontsize=7)
    ax.set_ylim(-0.7, len(ratios) - 0.3)
    ax.set_xlabel(
        "peer time / fastiter time: right of 1, fastiter is faster; left of 1, the peer is faster"
    )
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    drawn = [t.get_text() for t in sorted(ax.texts, key=lambda t: -t.get_position()[1])]
    plt.close(fig)
    return drawn


def write_report(
    rows: list[dict[str, Any]], out_dir: str | Path, meta: dict[str, Any] | None = None
) -> tuple[Path, Path]:
    """Save ``results.png``, a chart of the ratios (``plot_ratios``), ``results.json``
    (the rows, the machine, and the chart's value labels as drawn, top to bottom) and
    ``results.md`` (:func:`markdown_table`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = meta or machine()
    ppath = out / "results.png"
    labels = plot_ratios(rows, ppath, title=f"fastiter bench, {meta['date']}")
    jpath = out / "results.json"
    jpath.write_text(
        json.dumps(
            {"meta": meta, "results": rows, "chart_labels": labels}, indent=2, ensure_ascii=False
        )
    )
    (out / "results.md").write_text(markdown_table(rows, meta))
    return jpath, ppath
