"""``fastiter demo``: the whole mission end to end on an embedded, generated dataset.

1. Generate the rasm-shaped dataset (no download).
2. Write it in parallel as chunked netCDF files, verify them, and time
   ``xr.save_mfdataset`` on the same pieces for comparison.
3. Stream the files back as a DL4J-style pipeline: ``NetCDFDataSetIterator`` (sequence
   windows) -> ``NormalizerStandardize`` -> a numba-compiled transform that gives each
   window a random-length history (masks) -> one-hot season labels (C kernel) ->
   ``AsyncDataSetIterator`` -> a small numpy training step.
4. Report batches/s and how much of the producer's work was hidden behind training.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fastiter._cpus import available_cpus

__all__ = ["run_demo", "SeasonSequences"]

SEASONS = ["DJF", "MAM", "JJA", "SON"]


def _season_of_months(months: np.ndarray) -> np.ndarray:
    return ((months % 12) // 3).astype(np.int8)  # Dec, Jan, Feb -> 0 (DJF), ...


def _history_kernel() -> Callable[..., Any]:
    from fastiter.jit import jit

    @jit
    def random_history(features: np.ndarray, mask: np.ndarray, min_len: int) -> None:
        # Each window keeps a history of min_len..T steps, aligned at the end (DL4J's
        # ALIGN_END), derived from its own data so any worker order gives the same batch.
        n, f, t = features.shape
        for i in range(n):
            h = int(abs(features[i, 0, t - 1]) * 7919.0) % (t - min_len + 1) + min_len
            for s in range(t):
                keep = s >= t - h
                mask[i, s] = 1.0 if keep else 0.0
                if not keep:
                    for j in range(f):
                        features[i, j, s] = 0.0

    return random_history


class SeasonSequences:
    """Pre-processor: masks a random-length history and one-hot encodes season labels.

    Labels arrive as the season index per step ``[N, 1, T]``; they leave as
    ``[N, 4, T]`` one-hot (the C kernel) with the same mask as the features.
    """

    def __init__(self, min_len: int = 3) -> None:
        self.min_len = min_len
        self._kernel = _history_kernel()

    def pre_process(self, ds: Any) -> None:
        from fastiter import kernels

        n, _, t = ds.features.shape
        mask = np.empty((n, t), np.float32)
        self._kernel(ds.features, mask, min(self.min_len, t))
        season = ds.labels[:, 0, :].astype(np.int64)
        ds.labels = kernels.one_hot(season, len(SEASONS), np.float32, axis=1)
        ds.features_mask = mask
        ds.labels_mask = mask.copy()


class _SoftmaxModel:
    """A tiny masked-mean softmax classifier trained by SGD (numpy releases the GIL)."""

    def __init__(self, n_in: int, n_out: int, lr: float = 0.05) -> None:
        self.w = np.zeros((n_in, n_out), np.float32)
        self.lr = lr

    def step(self, ds: Any) -> float:
        m = ds.features_mask[:, None, :]
        x = (ds.features * m).sum(-1) / np.maximum(m.sum(-1), 1.0)  # [N, F]
        y = ds.labels[:, :, -1]  # last step
        logits = x @ self.w
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        self.w -= self.lr * (x.T @ (p - y)) / len(x)
        return float(-(y * np.log(p + 1e-9)).sum(1).mean())


def _mb(nbytes: float) -> str:
    return f"{nbytes / 1e6:8.1f} MB"


def _write_step(
    ds: Any, root: Path, workers: int | None, echo: Callable[[str], None], compare: bool
) -> list[str]:
    import xarray as xr

    from fastiter.netcdf import save_chunks, split_by_chunks

    nbytes = ds.nbytes
    t0 = time.perf_counter()
    paths = save_chunks(
        ds, root / "fastiter", chunks={"time": 12}, workers=workers, verify=True, progress=True
    )
    t_fi = time.perf_counter() - t0
    echo(
        f"\n[2] wrote {len(paths)} files to {root / 'fastiter'} in parallel and verified them "
        f"({_mb(nbytes).strip()} in {t_fi:.2f} s, {nbytes / t_fi / 1e6:.0f} MB/s incl. verify)"
    )
    for p in paths[:3] + (["..."] if len(paths) > 4 else []) + paths[3:][-1:]:
        echo(
            f"      {os.path.basename(p):<44} {_mb(os.path.getsize(p))}"
            if p != "..."
            else "      ..."
        )
    if compare:
        pieces = list(split_by_chunks(ds, {"time": 12}))
        ref = root / "xarray"
        ref.mkdir()
        t0 = time.perf_counter()
        xr.save_mfdataset(pieces, [str(ref / os.path.basename(p)) for p in paths])
        t_xr = time.perf_counter() - t0
        t0 = time.perf_counter()
        save_chunks(ds, root / "again", chunks={"time": 12}, workers=workers, progress=False)
        t_fi2 = time.perf_counter() - t0
        echo(
            f"    same pieces without verify: fastiter {t_fi2:.2f} s "
            f"({nbytes / t_fi2 / 1e6:.0f} MB/s) vs xr.save_mfdataset {t_xr:.2f} s "
            f"({nbytes / t_xr / 1e6:.0f} MB/s): fastiter {t_xr / t_fi2:.1f}× faster"
        )
        for folder in (ref, root / "again"):
            shutil.rmtree(folder)
        _say(
            echo,
            f"the two comparison copies, {ref} (xr.save_mfdataset) and {root / 'again'} "
            f"(fastiter without verify), are removed",
        )
    return paths


def _pipeline(paths: list[str], window: int, batch_size: int, seed: int) -> Any:
    from fastiter.netcdf import NetCDFDataSetIterator

    return NetCDFDataSetIterator(
        paths,
        features="Tair",
        labels="season",
        dim="time",
        batch_size=batch_size,
        window=window,
        stride=1,
        shuffle=True,
        seed=seed,
        drop_nan_columns=True,
    )


def _say(echo: Callable[[str], None], text: str) -> None:
    """An explanation, wrapped to the terminal's usual width and indented under its step."""
    echo(
        textwrap.fill(
            text,
            width=88,
            initial_indent="    ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def _explain_timings(
    n: int,
    t_prod: float,
    t_cons: float,
    t_pipe: float,
    producers: int,
    losses: list[float],
    echo: Callable[[str], None],
) -> None:
    """Step [4]: the three timings, and in plain words what they mean."""
    best = max(t_prod, t_cons)
    hidden = (t_prod + t_cons - t_pipe) / max(min(t_prod, t_cons), 1e-9)
    echo(f"\n[4] one epoch, {n} batches:")
    for label, value in (
        ("P, the producer alone (read, window, normalise, mask, one-hot)", t_prod),
        ("C, the training alone, on batches already in memory", t_cons),
        ("pipelined: producer thread(s) fill a ring of 8 batches", t_pipe),
    ):
        echo(f"    {label:<64} {value:6.2f} s")
    echo(f"    {'':<64} {n / t_pipe:6.1f} batches/s")
    _say(
        echo,
        f"One after the other the epoch takes P + C = {t_prod + t_cons:.2f} s.  In a "
        f"pipeline the producer prepares the next batches while the training works "
        f"on this one, so the best possible epoch is max(P, C) = {best:.2f} s.  This "
        f"one took {t_pipe / max(best, 1e-9):.2f} × max(P, C): "
        f"{100 * min(max(hidden, 0.0), 1.0):.0f}% of the shorter side was hidden.",
    )
    if t_pipe < t_prod:
        _say(
            echo,
            "The pipeline beat the producer alone.  P was timed first and kept all "
            "its batches, each in freshly allocated pages the system must fault in; "
            "the pipeline's producer threads recycle batch memory through their "
            "block cache instead"
            + (f", and its {producers} producer threads share P." if producers > 1 else ".")
            + "  Timings on a busy machine also vary by 10-20% from run to run.",
        )
    if hidden < 0.5 and (n < 50 or t_pipe < 0.5):
        _say(
            echo,
            f"A run this small ({n} batches, {t_pipe:.2f} s) is too short for the "
            f"overlap to show: starting the threads and filling the ring take a large "
            f"share of it.  More --years (the default is 30) give the pipeline time "
            f"to settle.",
        )
    k = max(1, n // 10)
    first, last = float(np.mean(losses[:k])), float(np.mean(losses[-k:]))
    _say(
        echo,
        f"Training loss, mean of the first {k} batch(es) -> the last {k}: "
        f"{first:.3f} -> {last:.3f}"
        + (
            " (down)."
            if last < first
            else " (not down: one epoch of a tiny model on few, noisy batches)."
        )
        + "  The model only gives the pipeline work to overlap; it is not a training recipe.",
    )


def _stream_step(
    paths: list[str],
    window: int,
    batch_size: int,
    seed: int,
    workers: int,
    echo: Callable[[str], None],
) -> dict[str, float]:
    from tqdm import tqdm

    from fastiter import AsyncDataSetIterator, CombinedPreProcessor, NormalizerStandardize

    base = _pipeline(paths, window, batch_size, seed)
    norm = NormalizerStandardize()
    norm.fit(base)
    base.pre_processor = CombinedPreProcessor(norm, SeasonSequences())
    first = base.batch_at(0) if base.indexable else base.next()
    model = _SoftmaxModel(first.features.shape[1], len(SEASONS))
    producers = workers if base.indexable else 1
    echo(
        f"\n[3] pipeline: NetCDFDataSetIterator(window={window}) -> NormalizerStandardize\n"
        f"    -> SeasonSequences (numba + one-hot kernel) -> AsyncDataSetIterator(workers="
        f"{workers}) -> training"
    )
    if producers < workers:
        _say(
            echo,
            f"workers={workers}, yet one producer thread: this iterator shuffles a stream "
            f"of windows read file by file, so it has no random access (batch i cannot be "
            f"built without the batches before it); AsyncDataSetIterator then runs one "
            f"producer thread, which keeps the order, and the training is the other "
            f"thread.  An iterator with random access (it.indexable) gets {workers} "
            f"producer threads.",
        )
    elif producers > 1:
        _say(
            echo,
            f"workers={workers}: {producers} producer threads.  The iterator has "
            f"random access (batch i is read from the files on its own), so producer k "
            f"builds batches k, k+{producers}, k+{2 * producers}, ... and the ring hands "
            f"them to the training in the order one thread would have made them.",
        )
    echo(
        f"    batch: features {first.features.dtype}{list(first.features.shape)}, "
        f"labels {list(first.labels.shape)} one-hot, masks {list(first.features_mask.shape)}"
    )
    base.reset()

    t0 = time.perf_counter()  # producer alone
    batches = [ds for ds in base]
    t_prod = time.perf_counter() - t0
    t0 = time.perf_counter()  # consumer alone
    for ds in batches:
        model.step(ds)
    t_cons = time.perf_counter() - t0
    del batches

    base.reset()  # the wrapper continues from the base's position, so start the epoch
    model = _SoftmaxModel(first.features.shape[1], len(SEASONS))  # untrained again
    n = 0
    losses = []
    t0 = time.perf_counter()
    with AsyncDataSetIterator(base, queue_size=8, workers=workers) as it:
        for ds in tqdm(it, total=len(base), desc="    training", unit="batch", leave=False):
            losses.append(model.step(ds))
            n += 1
    t_pipe = time.perf_counter() - t0
    _explain_timings(n, t_prod, t_cons, t_pipe, producers, losses, echo)
    return {"batches": n, "t_prod": t_prod, "t_cons": t_cons, "t_pipe": t_pipe}


def run_demo(
    out: str | None = None,
    years: int = 30,
    ny: int = 205,
    nx: int = 275,
    window: int = 6,
    batch_size: int = 16,
    workers: int | None = None,
    seed: int = 123,
    compare: bool = True,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the demo; returns the paths written and the pipeline timings.

    ``out`` keeps the files there (it must not already hold them); by default a
    temporary folder is used and removed.
    """
    from fastiter.netcdf import make_rasm

    root = Path(out) if out else Path(tempfile.mkdtemp(prefix="fastiter-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        ds = make_rasm(n_time=12 * years, ny=ny, nx=nx)
        months = np.array([t.month for t in ds.indexes["time"]])
        ds["season"] = (
            "time",
            _season_of_months(months),
            {"long_name": "season index", "flag_meanings": " ".join(SEASONS)},
        )
        ds["season"].encoding["_FillValue"] = np.int8(-1)
        echo(
            f"[1] generated a rasm-shaped dataset: {dict(ds.sizes)}, "
            f"{_mb(ds.nbytes).strip()}, noleap calendar"
        )
        if out:
            _say(
                echo,
                f"writing under {root}: {root / 'fastiter'} is kept"
                + (
                    f"; the comparison copies in {root / 'xarray'} and {root / 'again'} are "
                    f"removed once timed"
                    if compare
                    else ""
                ),
            )
        else:
            _say(
                echo,
                f"writing under {root}, a temporary folder removed at the end "
                f"(--out DIR keeps the files)",
            )
        paths = _write_step(ds, root, workers, echo, compare)
        stats = _stream_step(paths, window, batch_size, seed, workers or available_cpus(), echo)
        echo(
            f"\nkept: {root / 'fastiter'} ({len(paths)} files, "
            f"{sum(os.path.getsize(p) for p in paths) / 1e6:.1f} MB)"
            if out
            else f"\nremoved the temporary folder {root}"
        )
        return {"paths": paths, **stats}
    finally:
        if not out:
            shutil.rmtree(root, ignore_errors=True)
