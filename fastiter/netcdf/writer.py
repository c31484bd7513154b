"""The parallel chunked netCDF writer: ``save_chunks`` and a ``save_mfdataset`` drop-in.

Why it is faster than ``xr.save_mfdataset``: that writes the files one after another
and holds one process-wide HDF5 lock around every write.  Here the whole Dataset is
encoded once (:mod:`fastiter.netcdf.encoding`, sliced per piece), lazy pieces are single
blocks of one graph optimised once (:mod:`fastiter.netcdf.blocks`), and a lean pool of
forked workers (:mod:`fastiter.netcdf.forkpool`) computes and writes one file each
(:mod:`fastiter.netcdf.filejob`), so compute, compression and writes run in parallel.
Uncompressed files after the first of each structure reuse its byte layout
(:mod:`fastiter.netcdf.layout`): header bytes and data written straight from memory,
byte-identical to what netCDF4 writes.

Safety: the whole plan is encoded and checked, and every target is checked, before the
first byte is written (nothing is overwritten unless ``overwrite=True``); each file
appears under its final name only once complete (temp name + ``os.replace``); a JSON
manifest with each file's integrity record and the source fingerprint is kept as files
finish, and ``resume=True`` keeps only files whose bytes still match that record and
whose source is this one (:mod:`fastiter.netcdf.resume`).  On NFS, HDF5's file locking
may fail with errno 11/37/38: set ``HDF5_USE_FILE_LOCKING=FALSE`` in the environment.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from fastiter.netcdf import layout
from fastiter.netcdf._cleanup import also
from fastiter.netcdf.encoding import check_encoded, encode_piece, encode_pieces, plan_encoding
from fastiter.netcdf.filejob import TEMP_MARK, ChunkWriteError, FileJob, FileResult, fault_hook
from fastiter.netcdf.fingerprint import source_fingerprint
from fastiter.netcdf.integrity import ALGORITHMS, DEFAULT
from fastiter.netcdf.manifest import manifest_path, write_manifest
from fastiter.netcdf.naming import chunk_paths, local_path
from fastiter.netcdf.report import check_report, record_run
from fastiter.netcdf.result import SaveResult
from fastiter.netcdf.resume import ResumeError, TargetsExistError, plan_resume
from fastiter.netcdf.runners import make_progress, run_jobs
from fastiter.netcdf.split import chunk_slices, describe_slices

__all__ = [
    "save_chunks",
    "plan_chunks",
    "run_plan",
    "WritePlan",
    "save_mfdataset",
    "VerificationError",
    "ChunkWriteError",
    "ResumeError",
    "TargetsExistError",
    "SaveResult",
]

ENGINES = ("netcdf4", "h5netcdf")
#: Seconds between manifest updates while files finish (a killed parent loses at most this).
MANIFEST_EVERY = 1.0


class VerificationError(ValueError):
    """``verify=True`` found a file that does not re-open identical to its piece."""


def _check_args(engine: str, parallel: Any, checksum: str | None, resume: Any) -> None:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if checksum is not None and checksum not in ALGORITHMS:
        raise ValueError(f"checksum must be one of {ALGORITHMS} or None, got {checksum!r}")
    if isinstance(parallel, str) and parallel not in ("auto", "processes", "threads", "serial"):
        raise ValueError(
            f"parallel must be 'auto', 'processes', 'threads', 'serial' or a "
            f"distributed.Client, got {parallel!r}"
        )
    if resume not in (False, True, "strict"):
        raise ValueError(f"resume must be False, True or 'strict', got {resume!r}")


def active_client() -> Any:
    """The active ``distributed.Client``, or None (distributed is never imported here)."""
    if "distributed" not in sys.modules:
        return None
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


def resolve_parallel(parallel: Any) -> Any:
    """``'auto'``: the active distributed client when there is one, else processes
    (which :func:`_choose_runner` may then narrow to threads or serial)."""
    if parallel == "auto":
        return active_client() or "processes"
    return parallel


def _remove_stale_temps(paths: Sequence[str]) -> None:
    """Delete temporaries a killed worker left next to our targets (never final files).

    One directory listing per folder: a glob per target compiled a pattern per file,
    which cost ~40 ms of serial parent time per 60 files.
    """
    folders: dict[str, set[str]] = {}
    for p in paths:
        folder, name = os.path.split(p)
        folders.setdefault(folder or ".", set()).add(f".{name}{TEMP_MARK}")
    for folder, stems in folders.items():
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            continue
        for entry in names:
            cut = entry.rfind(TEMP_MARK)  # the suffix after it never holds the mark
            if cut > 0 and entry[: cut + len(TEMP_MARK)] in stems:
                try:
                    os.remove(os.path.join(folder, entry))
                except FileNotFoundError:
                    pass


def _copies_only(encoded: Sequence[Any], engine: str) -> bool:
    """True when writing is only copying memory: data in numpy, files in reused layouts.

    Then there is nothing for extra processes to compute or compress, and ``os.write``
    releases the GIL, so threads do the same work without forking (measured at 17 MB /
    3 files: 21 -> 11 ms; at 326 MB / 60 files: 132 -> 113 ms).
    """
    if not encoded or encoded[0] is None or not layout.ENABLED:
        return False
    return all(isinstance(v.data, np.ndarray) for e in encoded for v in e.variables) and all(
        layout.layout_key(e, engine) is not None for e in (encoded[0], encoded[-1])
    )


def _reused_layouts(encoded: Sequence[Any], engine: str) -> bool:
    """True when every file's write is a memory copy into a reused layout (uncompressed)."""
    return (
        bool(encoded)
        and encoded[0] is not None
        and layout.ENABLED
        and all(layout.layout_key(e, engine) is not None for e in (encoded[0], encoded[-1]))
    )


def _choose_runner(
    requested: Any,
    runner: Any,
    start_method: str | None,
    encoded: Sequence[Any],
    engine: str,
    files: int,
) -> Any:
    """The local runner measured fastest for this work (the per-runner roles of
    ``fastiter bench --only netcdf_write``).

    On 2 cores, rasm-like case with compute, integrity record on (min of 3, 2026-12-03):
    one file: serial 33 ms, threads 46, processes 112 (no pool to start).  Uncompressed
    files, whose writes are memory copies into a reused layout while numpy's compute
    releases the GIL, with the threads recycling the compute's temporaries
    (:func:`fastiter.netcdf.runners.run_jobs`), in three runs of the bench each: threads
    50-56 ms / 0.44-0.52 s / 2.18-2.28 s at 17 MB / 217 MB / 1 GB, processes 93-107 ms
    / 0.51-0.68 s / 2.25-2.29 s, serial 70-73 ms / 0.80-0.93 s / 3.9-4.2 s (best of 9 at
    17 MB, of 3 above; other work loaded the machine).  Processes pay the forks and
    copy-on-write faults and never won; at 1 GB they tie.  zlib runs under the HDF5 lock
    on threads, so compressed files go to processes.  Only ``'auto'`` is steered this
    far; an explicit ``'processes'`` still moves to threads when there is nothing to
    compute either (:func:`_copies_only`).
    """
    if runner != "processes" or start_method is not None:
        return runner
    if requested == "auto" and files <= 1:
        return "serial"
    if _copies_only(encoded, engine):
        return "threads"
    if requested == "auto" and _reused_layouts(encoded, engine):
        return "threads"
    return runner


def _entry(r: FileResult, chunk: str) -> dict[str, Any]:
    e = {
        "index": r.index,
        "path": r.path,
        "chunk": chunk,
        "size": r.size,
        "checksum": r.checksum,
        "algorithm": r.algorithm,
    }
    if r.record:
        e.update(regions=r.record["regions"], content=r.record["content"])
    return e


def _verify(paths: Sequence[str], pieces: Sequence[xr.Dataset], engine: str) -> None:
    bad = []
    for path, piece in zip(paths, pieces):
        with xr.open_dataset(path, engine=engine) as got:
            try:
                xr.testing.assert_identical(got.load(), piece.load())
            except AssertionError as err:
                bad.append(f"{path}: {str(err).splitlines()[0]}")
    if bad:
        raise VerificationError(
            f"{len(bad)} file(s) differ from their source piece:\n  " + "\n  ".join(bad)
        )


def _non_empty(ds: xr.Dataset, slices: list[dict[str, slice]]) -> list[dict[str, slice]]:
    """The pieces that hold data; the first piece alone when every piece is empty."""

    def size(s: Mapping[str, slice], d: str) -> int:
        return len(range(*s[d].indices(ds.sizes[d])))

    kept = [s for s in slices if all(size(s, d) for d in s)]
    return kept or slices[:1]


@dataclass
class WritePlan:
    """Everything :func:`plan_chunks` decided before the first byte is written.

    Run it with :func:`run_plan`.  ``paths`` are the targets in chunk order, ``todo``
    the indices this run writes (``resume`` keeps the others), ``runner`` what will
    write them and ``encoded`` each piece already encoded (None per piece on a cluster,
    whose tasks encode their own).

    Examples
    --------
    >>> import tempfile
    >>> from fastiter.netcdf import make_rasm
    >>> plan = plan_chunks(make_rasm(ny=3, nx=4), tempfile.mkdtemp(), chunks={"time": 18},
    ...                    parallel="serial", naming="index")
    >>> [os.path.basename(p) for p in plan.paths], plan.todo, plan.runner
    (['filename_0.nc', 'filename_1.nc'], [0, 1], 'serial')
    """

    ds: xr.Dataset
    root: str
    prefix: str
    engine: str
    requested: Any
    runner: Any
    workers: int | None
    checksum: str | None
    fsync: bool
    start_method: str | None
    overwrite: bool
    slices: list[dict[str, slice]]
    empty: int
    plan: dict[str, dict[str, Any]]
    pieces: list[xr.Dataset]
    paths: list[str]
    unlimited: tuple[str, ...]
    encoded: list[Any]
    fingerprint: dict[str, str]
    manifest: str
    keep: dict[int, Any] = field(default_factory=dict)
    bad: list[int] = field(default_factory=list)
    report: str | None = None
    seconds: float = 0.0

    @property
    def todo(self) -> list[int]:
        """Indices of the files this run writes, in chunk order."""
        return [i for i in range(len(self.paths)) if i not in self.keep]

    @property
    def local(self) -> bool:
        """True unless a ``distributed.Client`` runs the writes."""
        return isinstance(self.runner, str)


def _plan_files(
    ds: xr.Dataset,
    root: str,
    prefix: str,
    chunks: Any,
    naming: Any,
    engine: str,
    encoding: Any,
    compression: Any,
    local: bool,
) -> dict[str, Any]:
    """Everything decided before the first byte: pieces, paths, plan, encoded pieces."""
    all_slices = chunk_slices(ds, chunks)
    slices = _non_empty(ds, all_slices)
    plan = plan_encoding(ds, encoding, compression)
    base = ds if callable(naming) or not local else ds.drop_vars(list(ds.data_vars))
    pieces = [base.isel(s) if s else base for s in slices]
    paths = [
        local_path(p, "a file name from naming")
        for p in chunk_paths(pieces, prefix=prefix, root=root, naming=naming)
    ]
    unlimited = tuple(ds.encoding.get("unlimited_dims", ()) or ())
    # Local runners get each piece encoded already (one encoder run for the whole
    # Dataset); cluster tasks encode their own piece, so only the lazy piece travels,
    # and the first piece is encoded here only to refuse a bad plan before any work.
    encoded = encode_pieces(ds, plan, slices, unlimited) if local else [None] * len(slices)
    first = encoded[0] if local else None  # local pieces are all encoded
    check_encoded(
        first
        if first is not None
        else encode_piece(ds.isel(slices[0]) if slices[0] else ds, plan, unlimited),
        engine,
    )
    return {
        "slices": slices,
        "empty": len(all_slices) - len(slices),
        "plan": plan,
        "pieces": pieces,
        "paths": paths,
        "unlimited": unlimited,
        "encoded": encoded,
        "fingerprint": source_fingerprint(ds, plan, all_slices, engine),
    }


def plan_chunks(
    ds: xr.Dataset,
    root: str | os.PathLike[str] = ".",
    prefix: str = "filename",
    chunks: Mapping[str, Any] | None = None,
    *,
    engine: str = "netcdf4",
    parallel: Any = "auto",
    workers: int | None = None,
    encoding: Mapping[str, Mapping[str, Any]] | None = None,
    compression: Any = None,
    overwrite: bool = False,
    resume: bool | str = False,
    naming: str | Callable[[int, xr.Dataset], str] = "time",
    checksum: str | None = DEFAULT,
    fsync: bool = False,
    start_method: str | None = None,
    report: str | os.PathLike | None = None,
) -> WritePlan:
    """Decide and check everything :func:`save_chunks` would, and write nothing.

    The pieces, their paths, the encoding (every piece encoded), the runner, what
    ``resume`` keeps, the targets' and the report's checks: every refusal that
    ``save_chunks`` raises before the first byte is raised here.  No folder, manifest or
    file is created.  The parameters are :func:`save_chunks`'s; pass the plan to
    :func:`run_plan` to write it.

    Examples
    --------
    >>> import tempfile
    >>> from fastiter.netcdf import make_rasm
    >>> out = tempfile.mkdtemp()
    >>> plan = plan_chunks(make_rasm(ny=3, nx=4), out, chunks={"time": 12},
    ...                    parallel="serial")
    >>> len(plan.paths), os.listdir(out)
    (3, [])
    >>> run_plan(plan, progress=False).written == plan.paths
    True
    """
    _check_args(engine, parallel, checksum, resume)
    t0 = time.perf_counter()
    root = local_path(root, "root")
    runner = resolve_parallel(parallel)
    f = _plan_files(
        ds, root, prefix, chunks, naming, engine, encoding, compression, isinstance(runner, str)
    )
    wp = WritePlan(
        ds,
        root,
        prefix,
        engine,
        parallel,
        runner,
        workers,
        checksum,
        fsync,
        start_method,
        overwrite,
        f["slices"],
        f["empty"],
        f["plan"],
        f["pieces"],
        f["paths"],
        f["unlimited"],
        f["encoded"],
        f["fingerprint"],
        manifest_path(root, prefix),
    )
    wp.keep, wp.bad = plan_resume(ds, f, wp.manifest, overwrite, resume)
    wp.runner = _choose_runner(parallel, runner, start_method, wp.encoded, engine, len(wp.todo))
    wp.report = check_report(report, runner, protected=[wp.manifest, *wp.paths])
    wp.seconds = time.perf_counter() - t0
    return wp


class _Book:
    """The manifest of a running plan: entries as files finish, written now and then."""

    def __init__(self, wp: WritePlan) -> None:
        self.wp, self.todo = wp, wp.todo
        self.entries: dict[int, Any] = dict(wp.keep)
        self.descs = [describe_slices(s) for s in wp.slices]
        self.nbytes, self.last = 0, time.monotonic()

    def write(self, complete: bool) -> None:
        wp = self.wp
        write_manifest(
            wp.manifest,
            self.entries.values(),
            complete=complete,
            total=len(wp.paths),
            engine=wp.engine,
            source=wp.fingerprint,
            claimed=[] if complete else [wp.paths[i] for i in self.todo],
        )

    def add(self, r: FileResult) -> None:
        self.entries[r.index] = _entry(r, self.descs[r.index])
        self.nbytes += r.nbytes
        if time.monotonic() - self.last >= MANIFEST_EVERY:
            self.write(False)
            self.last = time.monotonic()


def _refuse_new_targets(wp: WritePlan) -> None:
    """Targets that appeared since the plan was made are not this run's to replace."""
    if wp.overwrite:
        return
    new = [wp.paths[i] for i in wp.todo if i not in wp.bad and os.path.lexists(wp.paths[i])]
    if new:
        raise TargetsExistError(
            f"{len(new)} target file(s) appeared after the plan was made; nothing was "
            f"written:\n  " + "\n  ".join(new[:20]) + "\nPlan again (with overwrite=True "
            "to replace them).",
            new,
        )


def _jobs(wp: WritePlan, book: _Book) -> Iterator[FileJob]:
    fault = fault_hook()
    for i in book.todo:
        yield FileJob(
            i,
            wp.paths[i],
            book.descs[i],
            wp.pieces[i],
            wp.plan,
            wp.engine,
            wp.unlimited,
            wp.checksum,
            wp.fsync,
            wp.runner == "threads",
            fault,
            wp.encoded[i],
        )


def run_plan(plan: WritePlan, *, progress: bool = True, verify: bool = False) -> SaveResult:
    """Write the files of a :class:`WritePlan` from :func:`plan_chunks`.

    ``progress`` and ``verify`` are :func:`save_chunks`'s.  A target that appeared
    since the plan was made is refused (:class:`TargetsExistError`) unless the plan
    allows overwriting, so one plan runs once; plan again to write again.

    Returns
    -------
    SaveResult
        As :func:`save_chunks`; ``seconds`` counts the planning too.

    Examples
    --------
    See :func:`plan_chunks`.
    """
    if not isinstance(plan, WritePlan):
        raise TypeError(f"plan must be a WritePlan from plan_chunks, got {type(plan).__name__}")
    t0, wp = time.perf_counter(), plan
    _refuse_new_targets(wp)
    os.makedirs(wp.root or ".", exist_ok=True)
    _remove_stale_temps(wp.paths)
    book = _Book(wp)
    bar = make_progress(len(wp.paths), progress, f"writing {wp.prefix}*.nc")
    bar.update(len(wp.paths) - len(book.todo))
    book.write(False)  # claims the targets first: whatever a worker finishes is ours
    results = record_run(
        run_jobs(_jobs(wp, book), wp.runner, wp.workers, wp.start_method),
        wp.report,
        wp.runner,
        requested=wp.requested,
        workers=wp.workers,
        chunks=book.descs,
        total=len(wp.paths),
    )
    try:
        for r in results:
            book.add(r)
            bar.update(1)
    except BaseException as err:
        # Stop and reap the workers before clearing their temporaries; a failure of
        # any clean-up step is noted on the error that happened, which is the one raised.
        also(err, "stopping the workers", results.close)
        also(err, "removing temporary files", lambda: _remove_stale_temps(wp.paths))
        also(err, f"writing the manifest {wp.manifest}", lambda: book.write(False))
        raise
    finally:
        bar.close()
    book.write(True)
    if verify:
        _verify(wp.paths, [wp.ds.isel(s) if s else wp.ds for s in wp.slices], wp.engine)
    return SaveResult(
        wp.paths,
        nbytes=book.nbytes,
        file_bytes=sum(e["size"] for e in book.entries.values()),
        seconds=wp.seconds + time.perf_counter() - t0,
        runner=wp.runner if wp.local else "distributed",
        written=[wp.paths[i] for i in book.todo],
        skipped=[wp.paths[i] for i in wp.keep],
        rewritten=[wp.paths[i] for i in wp.bad],
        empty=wp.empty,
        verified=verify,
        manifest=wp.manifest,
    )


def save_chunks(
    ds: xr.Dataset,
    root: str | os.PathLike[str] = ".",
    prefix: str = "filename",
    chunks: Mapping[str, Any] | None = None,
    *,
    engine: str = "netcdf4",
    parallel: Any = "auto",
    workers: int | None = None,
    encoding: Mapping[str, Mapping[str, Any]] | None = None,
    compression: Any = None,
    overwrite: bool = False,
    verify: bool = False,
    progress: bool = True,
    resume: bool | str = False,
    naming: str | Callable[[int, xr.Dataset], str] = "time",
    checksum: str | None = DEFAULT,
    fsync: bool = False,
    start_method: str | None = None,
    report: str | os.PathLike | None = None,
) -> SaveResult:
    """Write one netCDF file per chunk of ``ds``, in parallel, atomically.

    Parameters
    ----------
    ds : xarray.Dataset
        Dask-backed (split by its chunks) or numpy-backed (pass ``chunks``).
    root : str or os.PathLike
        Output folder (created if missing; a local path or a ``file://`` URL, any other
        URL scheme is refused before anything is created).
    prefix : str
        File-name stem; see :func:`chunk_paths`.
    chunks : dict, optional
        ``{dim: size}`` or ``{dim: (size, ...)}`` to split by instead of the dask chunks.
        Pieces of length zero get no file (there is no data to write); a dimension of
        length zero gives one file holding the empty Dataset.
    engine : {'netcdf4', 'h5netcdf'}
        The library each worker writes with.
    parallel : {'auto', 'processes', 'threads', 'serial'} or distributed.Client
        ``'auto'`` (default): the active ``distributed.Client`` when there is one;
        otherwise ``'serial'`` for one file, ``'threads'`` when every file is
        uncompressed (memory copies into a reused layout while numpy's compute releases
        the GIL; measured faster than processes at every size), else ``'processes'``.
        A compute that holds the GIL wants ``'processes'``.  ``'processes'``: a pool of
        ``workers`` forked processes, one file per process at a time, each computing its
        own piece.  When there is nothing to compute or compress (numpy-backed data,
        uncompressed, so every file after the first is a memory copy into a reused
        layout) the copies run on ``workers`` threads instead, which is faster at every
        size measured and forks nothing; pass ``start_method`` to force processes.
        ``'threads'``:
        computes overlap but HDF5 writes take turns.  A ``distributed.Client``: one
        task per file on the cluster; each task computes its own piece from the dask
        graph and writes to ``root``, which every worker must see at the same path.
        The result's ``runner`` says which ran.
    workers : int, optional
        Processes/threads (default: the usable CPUs); in-flight files are bounded to
        twice this.
    encoding : dict, optional
        Per-variable encoding overrides, as in ``Dataset.to_netcdf``.
    compression : int or dict, optional
        zlib level for every data variable (shuffle on), or netCDF4 keywords.
    overwrite : bool
        Replace existing targets.  Otherwise any existing target that this run's
        manifest does not record as its own is an error raised before anything is
        written, listing them.
    verify : bool
        Re-open every file and check it is identical to its piece.
    progress : bool
        Show a tqdm progress bar.
    resume : {False, True, 'strict'}
        Complete an interrupted run: keep each file the manifest records whose bytes
        still match the digests recorded when it was written, after checking that this
        source is the one it was written from (else :class:`ResumeError`, saying what
        differs); rewrite the others.  ``'strict'`` refuses instead of rewriting a
        changed file, listing them.
    naming : {'time', 'index'} or callable
        See :func:`chunk_paths`.
    checksum : str or None
        The hash of each file's integrity record: ``'xxh3'`` (default; memory speed),
        ``'sha256'``, ``'sha1'``, ``'md5'`` or ``'blake2b'``.  With None nothing can be
        verified, so ``resume`` rewrites every file.
    fsync : bool
        fsync each file before renaming it into place.
    start_method : str, optional
        Process start method for ``parallel="processes"``: ``fork`` (Linux default; workers
        inherit the pieces, nothing is pickled), ``forkserver`` or ``spawn``.
    report : str or os.PathLike, optional
        Write a report of the run there when it ends (also when it fails).  On a
        ``distributed`` cluster: dask's ``performance_report`` (an ``.html`` page; needs
        bokeh, ``pip install 'fastiter[diagnostics]'``).  Otherwise fastiter's timing
        summary, as JSON for a ``.json`` name or HTML for ``.html``: the runner, the
        totals, and per file its path, chunk, bytes and seconds.  An existing report of
        that name is replaced.

    Returns
    -------
    SaveResult
        A list of the paths in chunk order, with ``nbytes``, ``seconds``, ``mb_per_s``,
        ``runner``, ``written``, ``skipped`` and ``rewritten``.

    Examples
    --------
    >>> import tempfile
    >>> from fastiter.netcdf import make_rasm
    >>> out = tempfile.mkdtemp()
    >>> paths = save_chunks(make_rasm(ny=3, nx=4), out, chunks={"time": 12},
    ...                     parallel="serial", progress=False)
    >>> [os.path.basename(p) for p in paths]  # doctest: +NORMALIZE_WHITESPACE
    ['filename_1980-09-16_1981-08-17.nc', 'filename_1981-09-16_1982-08-17.nc',
     'filename_1982-09-16_1983-08-17.nc']
    >>> paths.runner, len(paths.written)
    ('serial', 3)
    """
    return run_plan(
        plan_chunks(
            ds,
            root,
            prefix,
            chunks,
            engine=engine,
            parallel=parallel,
            workers=workers,
            encoding=encoding,
            compression=compression,
            overwrite=overwrite,
            resume=resume,
            naming=naming,
            checksum=checksum,
            fsync=fsync,
            start_method=start_method,
            report=report,
        ),
        progress=progress,
        verify=verify,
    )


def save_mfdataset(
    datasets: Sequence[xr.Dataset],
    paths: Sequence[str],
    mode: str = "w",
    format: str | None = None,
    groups: Sequence[str] | None = None,
    engine: str | None = None,
    compute: bool = True,
    **kwargs: Any,
) -> Any:
    """Drop-in for ``xarray.save_mfdataset`` that runs fastiter's parallel engine.

    Each Dataset is encoded on its own (as xarray does) and written to its path by a
    worker.  As with xarray's ``mode='w'``, existing files are replaced.  Like xarray,
    the writes go to the active ``distributed.Client`` when there is one
    (``parallel='auto'``, the default), else to forked processes.  Extra keywords:
    ``parallel``, ``workers``, ``encoding``, ``compression``, ``progress`` (default
    False), ``checksum``, ``fsync``, ``start_method``.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> out = tempfile.mkdtemp()
    >>> a = xr.Dataset({"v": ("t", np.arange(3.0))}, coords={"t": [0, 1, 2]})
    >>> save_mfdataset([a.isel(t=[0]), a.isel(t=[1, 2])],
    ...                [f"{out}/a.nc", f"{out}/b.nc"], parallel="serial")
    >>> xr.open_mfdataset([f"{out}/a.nc", f"{out}/b.nc"]).v.values.tolist()
    [0.0, 1.0, 2.0]
    """
    if mode != "w":
        raise NotImplementedError(
            f"fastiter.netcdf.save_mfdataset supports mode='w' only, "
            f"got mode={mode!r}; use xarray.save_mfdataset to append"
        )
    if groups is not None or format not in (None, "NETCDF4"):
        raise NotImplementedError(
            "groups and formats other than NETCDF4 are not supported; "
            "use xarray.save_mfdataset for those"
        )
    datasets, paths = list(datasets), [local_path(p, "a path") for p in paths]
    if len(datasets) != len(paths):
        raise ValueError(
            f"must supply lists of the same length for datasets and paths, "
            f"got {len(datasets)} datasets and {len(paths)} paths"
        )
    if len(set(map(os.path.abspath, paths))) != len(paths):
        raise ValueError("paths must be unique; two datasets would write the same file")
    if not compute:
        import dask

        return dask.delayed(save_mfdataset)(
            datasets, paths, mode, format, groups, engine, True, **kwargs
        )
    return _write_many(datasets, paths, engine or "netcdf4", **kwargs)


def _write_many(
    datasets: Sequence[xr.Dataset],
    paths: Sequence[str],
    engine: str,
    *,
    parallel: Any = "auto",
    workers: int | None = None,
    encoding: Mapping[str, Any] | None = None,
    compression: Any = None,
    progress: bool = False,
    checksum: str | None = None,
    fsync: bool = False,
    start_method: str | None = None,
) -> None:
    _check_args(engine, parallel, checksum, False)
    parallel = resolve_parallel(parallel)
    jobs = (
        FileJob(
            i,
            p,
            f"dataset {i}",
            d,
            plan_encoding(d, encoding, compression),
            engine,
            tuple(d.encoding.get("unlimited_dims", ()) or ()),
            checksum,
            fsync,
            parallel == "threads",
        )
        for i, (d, p) in enumerate(zip(datasets, paths))
    )
    bar = make_progress(len(paths), progress, "writing")
    try:
        for _ in run_jobs(jobs, parallel, workers, start_method):
            bar.update(1)
    finally:
        bar.close()
