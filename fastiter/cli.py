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

    print(f"fastiter bench{' --quick' if args.quick else ''}: fastiter and its peers on the "
          f"same inputs, in this process.\n"
          f"  \"N× faster than PEER\" is the peer's time / fastiter's time (\"slower\" when "
          f"the peer wins).\n"
          f"  \"N× the ceiling's time\" is fastiter's time / the time to merely copy or fill "
          f"the bytes\n  the case produces: 1× would be as fast as memory allows.\n")
    cases = benchmark.default_cases(quick=args.quick)
    rows = benchmark.run_cases(cases, repeat=3 if args.quick else 5,
                               min_time=0.02 if args.quick else 0.1)
    jpath, ppath = benchmark.write_report(rows, args.out)
    print(f"wrote {jpath} and {ppath}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fastiter", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "demo", help="run the whole mission end to end on a generated rasm-shaped dataset "
                     "(no downloads)",
        description="Generate a rasm-shaped dataset, write it as one netCDF file per year in "
                    "parallel, then stream the files through a DL4J-style pipeline into a "
                    "small training loop and report how much of the loading was hidden "
                    "behind the training.")
    d.add_argument("--out", default=None, metavar="DIR",
                   help="keep the netCDF files in DIR/fastiter (DIR must not hold them "
                        "already); default: a temporary folder, removed at the end")
    d.add_argument("--years", type=int, default=30,
                   help="years of monthly data, one file per year (default: 30)")
    d.add_argument("--ny", type=int, default=205, help="grid rows (default: 205, as rasm)")
    d.add_argument("--nx", type=int, default=275, help="grid columns (default: 275, as rasm)")
    d.add_argument("--window", type=int, default=6,
                   help="sequence window in months; windows stay inside one file "
                        "(default: 6)")
    d.add_argument("--batch-size", type=int, default=16,
                   help="windows per minibatch (default: 16)")
    d.add_argument("--workers", type=int, default=None,
                   help="writer processes and async producer threads (default: all cores)")
    d.add_argument("--seed", type=int, default=123,
                   help="seed of the shuffle (default: 123)")
    d.add_argument("--no-compare", action="store_true",
                   help="skip timing xr.save_mfdataset on the same pieces (default: "
                        "compare)")
    d.set_defaults(func=_cmd_demo)
    b = sub.add_parser(
        "bench", help="benchmark kernels, iterators and the writer against their peers",
        description="Time fastiter and its peers on the same inputs in one process, with "
                    "the memory-copy ceiling of each case; print ratios in words and write "
                    "results.json and results.png.")
    b.add_argument("--out", default="fastiter-bench", metavar="DIR",
                   help="folder for results.json and results.png (default: ./fastiter-bench)")
    b.add_argument("--quick", action="store_true",
                   help="smaller sizes and fewer repeats: every workload family once, in "
                        "well under a minute (default: the full sizes, a few minutes)")
    b.set_defaults(func=_cmd_bench)
    sub.add_parser("config", help="print versions, build flags, threads and SIMD path "
                                  "(the same as fastiter.show_config())",
                   description="Print the versions of fastiter and its dependencies, the "
                               "compiler flags of the native core, the thread pool size and "
                               "the SIMD path in use.").set_defaults(
        func=lambda a: (__import__("fastiter").show_config(), 0)[1])
    from fastiter.netcdf.cli import add_parser as add_split_parser

    add_split_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
