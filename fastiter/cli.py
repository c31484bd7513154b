"""The ``fastiter`` command line."""
from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

import numpy as np

__all__ = ["main"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from fastiter import ArrayDataSetIterator, DataSet, kernels

    rng = np.random.default_rng(args.seed)
    n, f, c = args.examples, 16, 10
    features = rng.standard_normal((n, f)).astype(np.float32)
    labels = kernels.one_hot(rng.integers(0, c, n), c)
    full = DataSet(features, labels)
    it = ArrayDataSetIterator(features, labels, batch_size=args.batch_size, shuffle=True,
                              seed=args.seed)
    t0 = time.perf_counter()
    seen = 0
    batches = 0
    for ds in it:
        seen += ds.num_examples()
        batches += 1
    dt = time.perf_counter() - t0
    print(f"fastiter demo: {full}")
    print(f"  {batches} batches of up to {it.batch()} examples, {seen} examples, "
          f"{batches / dt:,.0f} batches/s")
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
    d = sub.add_parser("demo", help="run the main job on the embedded default dataset")
    d.add_argument("--examples", type=int, default=10_000, help="examples to generate")
    d.add_argument("--batch-size", type=int, default=256, help="minibatch size")
    d.add_argument("--seed", type=int, default=123, help="random seed")
    d.set_defaults(func=_cmd_demo)
    b = sub.add_parser("bench", help="benchmark kernels, iterators and the writer "
                                     "against their peers")
    b.add_argument("--out", default="fastiter-bench",
                   help="folder for results.json and results.png (default ./fastiter-bench)")
    b.add_argument("--quick", action="store_true", help="small sizes, under 2 minutes")
    b.set_defaults(func=_cmd_bench)
    sub.add_parser("config", help="print the build configuration").set_defaults(
        func=lambda a: (__import__("fastiter").show_config(), 0)[1])
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
