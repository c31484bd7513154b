"""The ``fastiter`` command line."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

__all__ = ["main"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from fastiter.demo import run_demo

    t0 = time.perf_counter()
    run_demo(
        out=args.out,
        years=args.years,
        ny=args.ny,
        nx=args.nx,
        window=args.window,
        batch_size=args.batch_size,
        workers=args.workers,
        seed=args.seed,
        compare=not args.no_compare,
    )
    print(f"demo finished in {time.perf_counter() - t0:.1f} s")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from fastiter.bench import core, registry

    print(
        f"fastiter bench{' --quick' if args.quick else ''}: fastiter and its peers on the "
        f"same inputs, in this process.\n"
        f'  "N× faster than PEER" is the peer\'s time / fastiter\'s time ("slower" when '
        f"the peer wins).\n"
        f"  \"N× the ceiling's time\" is fastiter's time / the time to merely copy or fill "
        f"the bytes\n  the case produces: 1× would be as fast as memory allows.\n"
    )
    for name in args.only or []:
        registry.family(name)  # a ValueError naming the families before any timing
    meta = core.machine()
    t0 = time.perf_counter()
    skipped: list[str] = []
    cases = registry.cases(
        "quick" if args.quick else "full",
        only=args.only,
        echo=print,
        large=args.large,
        skipped=skipped,
    )
    rows = core.run_cases(
        cases, repeat=3 if args.quick else 5, min_time=0.02 if args.quick else 0.1
    )
    meta["wall_s"] = round(time.perf_counter() - t0, 1)
    meta["cores_free_end"] = round(core.cores_free(), 2)
    meta["skipped"] = skipped
    jpath, ppath = core.write_report(rows, args.out, meta)
    print(f"wrote {jpath}, {ppath} and {jpath.with_suffix('.md')} ({meta['wall_s']:.0f} s)")
    if args.markdown:
        print()
        print(core.markdown_table(rows, meta), end="")
    return 0


DESCRIPTION = """\
fastiter: DL4J's dataset iterators for Python, with native hot paths and a parallel
chunked netCDF writer.  Run "fastiter COMMAND --help" for a command's options."""

EPILOG = """\
examples:
  fastiter demo --years 2            the whole pipeline on a small generated data set
  fastiter bench --quick             fastiter against its peers, ratios in a report
  fastiter split in.nc out/ --size 12
  fastiter config --cflags --libs    flags to compile and link C code against fastiter

Commands beyond the iterators need extras, e.g. pip install fastiter[netcdf]."""

# fastiter config FLAG -> what it prints (the C library's paths and flags)
_CONFIG_FLAGS = {
    "cflags": "compiler flags: -I for fastiter.h",
    "libs": "linker flags for libfastiter.so (with an rpath)",
    "static_libs": "linker arguments for libfastiter.a",
    "includedir": "the folder holding fastiter.h",
    "libdir": "the folder holding libfastiter.so and libfastiter.a",
    "pkgconfigdir": "the folder holding fastiter.pc (for PKG_CONFIG_PATH)",
    "cmakedir": "the folder holding fastiterConfig.cmake (for fastiter_DIR)",
    "sourcedir": "the folder holding the C sources, to compile them in",
    "prefix": "the installed package's folder (for CMAKE_PREFIX_PATH)",
}


def _config_value(key: str) -> str:
    import os

    import fastiter

    inc = fastiter.get_include()
    if key in ("cflags", "includedir", "sourcedir", "prefix"):
        return {
            "cflags": f"-I{inc}",
            "includedir": inc,
            "sourcedir": fastiter.get_source_dir(),
            "prefix": os.path.dirname(os.path.abspath(fastiter.__file__)),
        }[key]
    lib = fastiter.get_library_dir()
    return {
        "libs": f"-L{lib} -Wl,-rpath,{lib} -lfastiter",
        "static_libs": f"{os.path.join(lib, 'libfastiter.a')} -pthread -lm",
        "libdir": lib,
        "pkgconfigdir": os.path.join(lib, "pkgconfig"),
        "cmakedir": os.path.join(lib, "cmake", "fastiter"),
    }[key]


def _cmd_config(args: argparse.Namespace) -> int:
    keys = args.config_keys or []
    if not keys:
        import fastiter

        fastiter.show_config()
        return 0
    print(" ".join(_config_value(k) for k in keys))
    return 0


def _missing_extra_parser(sub, name: str, error: ImportError) -> None:
    """A command whose extra is not installed: listed, and explains itself when run."""

    def fail(args: argparse.Namespace) -> int:
        raise error

    p = sub.add_parser(name, help=f"(not installed: {error})")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=fail)


def build_parser() -> argparse.ArgumentParser:
    from fastiter import __version__

    p = argparse.ArgumentParser(
        prog="fastiter",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"fastiter {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "demo",
        help="run the whole mission end to end on a generated rasm-shaped dataset (no downloads)",
        description="Generate a rasm-shaped dataset, write it as one netCDF file per year in "
        "parallel, then stream the files through a DL4J-style pipeline into a "
        "small training loop and report how much of the loading was hidden "
        "behind the training.",
    )
    d.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="keep the netCDF files in DIR/fastiter (DIR must not hold them "
        "already); default: a temporary folder, removed at the end",
    )
    d.add_argument(
        "--years",
        type=int,
        default=30,
        help="years of monthly data, one file per year (default: 30)",
    )
    d.add_argument("--ny", type=int, default=205, help="grid rows (default: 205, as rasm)")
    d.add_argument("--nx", type=int, default=275, help="grid columns (default: 275, as rasm)")
    d.add_argument(
        "--window",
        type=int,
        default=6,
        help="sequence window in months; windows run across the yearly files (default: 6)",
    )
    d.add_argument("--batch-size", type=int, default=16, help="windows per minibatch (default: 16)")
    d.add_argument(
        "--workers",
        type=int,
        default=None,
        help="writer processes and async producer threads (default: all cores)",
    )
    d.add_argument("--seed", type=int, default=123, help="seed of the shuffle (default: 123)")
    d.add_argument(
        "--no-compare",
        action="store_true",
        help="skip timing xr.save_mfdataset on the same pieces (default: compare)",
    )
    d.set_defaults(func=_cmd_demo)
    b = sub.add_parser(
        "bench",
        help="benchmark kernels, iterators and the writer against their peers",
        description="Time fastiter and its peers on the same inputs in one process, with "
        "the memory-copy ceiling of each case; print ratios in words and write "
        "results.json and results.png.",
    )
    b.add_argument(
        "--out",
        default="fastiter-bench",
        metavar="DIR",
        help="folder for results.json and results.png (default: ./fastiter-bench)",
    )
    b.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes and fewer repeats: every workload family once, in "
        "a minute or two (default: the full sizes, under 10 minutes on 2 "
        "cores)",
    )
    b.add_argument(
        "--markdown",
        action="store_true",
        help="also print the README's benchmark table from this run, with the "
        "machine named (default: off; always written to DIR/results.md)",
    )
    b.add_argument(
        "--only",
        action="append",
        metavar="FAMILY",
        help="run only this family of cases (repeatable; default: every family but "
        "the opt-in ones: the 1 GB row, netcdf_large, and the cold-cache reads, "
        "netcdf_read_cold)",
    )
    b.add_argument(
        "--large",
        action="store_true",
        help="also run the opt-in 1 GB writer row (netcdf_large: compute included at "
        "2220 months, about 1 GB; several minutes more; default: off)",
    )
    b.set_defaults(func=_cmd_bench)
    c = sub.add_parser(
        "config",
        help="print the build configuration, or the C library's flags and paths",
        description="Without options: versions, build flags, threads and "
        "SIMD path.  With options: the asked values in the order "
        "asked, "
        "on one line (like pkg-config).",
    )
    for key, text in _CONFIG_FLAGS.items():
        c.add_argument(
            "--" + key.replace("_", "-"),
            action="append_const",
            dest="config_keys",
            const=key,
            help=text,
        )
    c.set_defaults(func=_cmd_config)
    try:
        from fastiter.netcdf.cli import add_parser as add_split_parser
    except ImportError as exc:  # the netcdf extra is not installed
        _missing_extra_parser(sub, "split", exc)
    else:
        add_split_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ImportError as exc:
        if "pip install fastiter[" not in str(exc):
            raise
        print(f"fastiter {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
