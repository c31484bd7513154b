"""The ``fastiter`` command line."""
from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

__all__ = ["main"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from fastiter.demo import run_demo

    t0 = time.perf_counter()
    run_demo(out=args.out, years=args.years, ny=args.ny, nx=args.nx, window=args.window,
             batch_size=args.batch_size, workers=args.workers, seed=args.seed,
             compare=not args.no_compare)
    print(f"demo finished in {time.perf_counter() - t0:.1f} s")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from fastiter import benchmark

    print(f"fastiter bench{' --quick' if args.quick else ''}: ratios are peer time / "
          f"fastiter time (above 1: fastiter is faster)")
    cases = benchmark.default_cases(quick=args.quick)
    rows = benchmark.run_cases(cases, repeat=3 if args.quick else 5,
                               min_time=0.02 if args.quick else 0.1)
    jpath, ppath = benchmark.write_report(rows, args.out)
    print(f"wrote {jpath} and {ppath}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fastiter", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="run the whole mission end to end on a generated "
                                    "rasm-shaped dataset (no downloads)")
    d.add_argument("--out", default=None,
                   help="keep the netCDF files in this folder (default: a temporary one)")
    d.add_argument("--years", type=int, default=30, help="years of monthly data (default 30)")
    d.add_argument("--ny", type=int, default=205, help="grid rows (rasm: 205)")
    d.add_argument("--nx", type=int, default=275, help="grid columns (rasm: 275)")
    d.add_argument("--window", type=int, default=6,
                   help="sequence window in months (windows stay inside one file)")
    d.add_argument("--batch-size", type=int, default=16, help="minibatch size")
    d.add_argument("--workers", type=int, default=None,
                   help="writer processes and async producers (default: all cores)")
    d.add_argument("--seed", type=int, default=123, help="random seed")
    d.add_argument("--no-compare", action="store_true",
                   help="skip the xr.save_mfdataset comparison")
    d.set_defaults(func=_cmd_demo)
    b = sub.add_parser("bench", help="benchmark kernels, iterators and the writer "
                                     "against their peers")
    b.add_argument("--out", default="fastiter-bench",
                   help="folder for results.json and results.png (default ./fastiter-bench)")
    b.add_argument("--quick", action="store_true", help="small sizes, under 2 minutes")
    b.set_defaults(func=_cmd_bench)
    sub.add_parser("config", help="print the build configuration").set_defaults(
        func=lambda a: (__import__("fastiter").show_config(), 0)[1])
    from fastiter.netcdf.cli import add_parser as add_split_parser

    add_split_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
