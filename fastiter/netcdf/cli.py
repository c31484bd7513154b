"""``fastiter split``: split netCDF input(s) into one file per chunk, in parallel."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_parser", "run_split"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``split`` on an ``argparse`` sub-parser collection."""
    p = subparsers.add_parser(
        "split",
        help="split netCDF file(s) into one file per chunk, in parallel",
        usage="fastiter split [options] INPUT [INPUT ...] OUTDIR",
        description="Open the INPUT files as one dataset (combined by coordinates), split it every "
        "SIZE steps along DIM and write the pieces to OUTDIR in parallel, "
        "atomically, with a manifest.",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="INPUT [INPUT ...] OUTDIR",
        help="one or more input netCDF files, then the output folder",
    )
    _add_layout_options(p)
    _add_run_options(p)
    p.set_defaults(func=run_split)
    return p


def _add_layout_options(p: argparse.ArgumentParser) -> None:
    """What the output files are: how the data is cut, named and written."""
    p.add_argument("--dim", default="time", help="dimension to split along (default time)")
    p.add_argument("--size", type=int, default=12, help="steps per output file (default 12)")
    p.add_argument("--prefix", default="filename", help="output file-name stem (default: filename)")
    p.add_argument(
        "--naming",
        choices=("time", "index"),
        default="time",
        help="name files by their first and last time value, or by chunk index (default: time)",
    )
    p.add_argument(
        "--engine",
        choices=("netcdf4", "h5netcdf"),
        default="netcdf4",
        help="library that writes the files; h5netcdf needs the h5netcdf extra (default: netcdf4)",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """How the run goes: where it runs, what it checks, keeps and reports."""
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core)"
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask.distributed scheduler address; workers must share OUTDIR "
        "(default: local processes)",
    )
    p.add_argument(
        "--compress",
        type=int,
        default=None,
        metavar="LEVEL",
        help="zlib level 1-9 with shuffle (default: uncompressed)",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="re-open every file and compare it with its piece (default: off)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace existing files (default: refuse to)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="complete an interrupted run: keep the files the manifest records "
        "whose bytes still match it, rewrite the others (default: off)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="with --resume: refuse (listing them) instead of rewriting files "
        "that changed since they were written (default: off)",
    )
    p.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (default: shown)"
    )
    p.add_argument(
        "--plan",
        default=None,
        metavar="IMAGE",
        help="draw the chunk plan (grid, file names, sizes) to IMAGE (.png, "
        ".svg, .pdf) and exit without writing any data file (default: "
        "write the files)",
    )
    p.add_argument(
        "--report",
        default=None,
        metavar="FILE",
        help="write a report of the run to FILE: timings per file (.html or "
        ".json), or dask's performance report (.html) with --scheduler "
        "(default: no report)",
    )


def _open(inputs: list[str], dim: str, size: int) -> Any:
    import xarray as xr

    missing = [p for p in inputs if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"input file(s) not found: {', '.join(missing)}")
    chunks = {dim: size}
    if len(inputs) == 1:
        return xr.open_dataset(inputs[0], chunks=chunks)
    return xr.open_mfdataset(inputs, combine="by_coords", chunks=chunks)


def _inputs(inputs: list[str]) -> str:
    """The inputs in a few words: a long list of paths would bury the summary."""
    if len(inputs) == 1:
        return inputs[0]
    return (
        f"{len(inputs)} input files ({os.path.basename(inputs[0])} ... "
        f"{os.path.basename(inputs[-1])})"
    )


#: Library wording -> command-line wording, for messages that name an argument.
_CLI_WORDS = (
    ("resume='strict'", "--resume --strict"),
    ("overwrite=True", "--overwrite"),
    ("overwrite=False", "--overwrite was not given"),
    ("resume=True", "--resume"),
)


def _cli_words(message: str) -> str:
    for lib, cli in _CLI_WORDS:
        message = message.replace(lib, cli)
    return message


def _table(res: Any, outdir: str, workers: Any) -> str:
    files = f"{len(res)} ({len(res.written)} written"
    files += f", {len(res.skipped)} kept by --resume" if res.skipped else ""
    files += f", {len(res.rewritten)} of them rewritten as changed" if res.rewritten else ""
    files += f", {res.empty} empty pieces skipped" if res.empty else ""
    rows = [
        ("files", files + ")"),
        ("runner", res.runner + (f" ({workers} workers)" if workers else "")),
        ("data bytes", f"{res.nbytes:,}"),
        ("file bytes", f"{res.file_bytes:,}"),
        ("time", f"{res.seconds:.2f} s"),
        ("data MB/s", f"{res.mb_per_s:,.1f}"),
        ("output", outdir),
        ("manifest", res.manifest),
    ]
    if res.verified:
        rows.append(("verified", f"passed: all {len(res)} files re-open identical to their pieces"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def _draw_plan(ds: Any, args: argparse.Namespace, outdir: str) -> int:
    from fastiter.netcdf.planplot import plot_plan

    try:
        plan = plot_plan(
            ds,
            {args.dim: args.size},
            root=outdir,
            prefix=args.prefix,
            naming=args.naming,
            path=args.plan,
        )
    except ImportError as err:
        print(f"fastiter split: --plan: {err}", file=sys.stderr)
        return 2
    finally:
        ds.close()
    sizes = sorted({f.nbytes for f in plan.files})
    print(
        f"fastiter split: plan of {len(plan)} files, {plan.nbytes:,} data bytes "
        f"({sizes[0]:,} to {sizes[-1]:,} per file), drawn to {args.plan}; "
        f"no data file was written"
    )
    return 0


def run_split(args: argparse.Namespace) -> int:
    """The ``split`` handler: returns the exit code (2 for bad arguments)."""
    from fastiter.netcdf.writer import save_chunks

    if len(args.paths) < 2:
        print("fastiter split: give at least one INPUT and the OUTDIR", file=sys.stderr)
        return 2
    if args.size < 1:
        print(f"fastiter split: --size must be >= 1, got {args.size}", file=sys.stderr)
        return 2
    *inputs, outdir = args.paths
    client = None
    try:
        ds = _open(inputs, args.dim, args.size)
        if args.dim not in ds.dims:
            print(
                f"fastiter split: the input has no dimension {args.dim!r}; it has {list(ds.dims)}",
                file=sys.stderr,
            )
            return 2
        if args.strict and not args.resume:
            print("fastiter split: --strict only applies with --resume", file=sys.stderr)
            return 2
        if args.plan:
            return _draw_plan(ds, args, outdir)
        parallel: Any = "auto"
        if args.scheduler:
            from distributed import Client

            client = parallel = Client(args.scheduler)
        res = save_chunks(
            ds,
            outdir,
            prefix=args.prefix,
            chunks={args.dim: args.size},
            engine=args.engine,
            parallel=parallel,
            workers=args.workers,
            compression=args.compress,
            overwrite=args.overwrite,
            verify=args.verify,
            progress=not args.no_progress,
            resume="strict" if args.strict else args.resume,
            naming=args.naming,
            report=args.report,
        )
        print(f"fastiter split: {_inputs(inputs)} -> {outdir}")
        print(_table(res, outdir, args.workers))
        ds.close()
        return 0
    except (ValueError, TypeError, FileExistsError, FileNotFoundError) as err:
        print(f"fastiter split: {_cli_words(str(err))}", file=sys.stderr)
        return 2
    finally:
        if client is not None:
            client.close()
