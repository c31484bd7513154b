"""The one list of benchmark cases: ``fastiter bench`` and the pytest-benchmark files in
bench/ run these same families, so that no case is written twice.

A family is built at one size (``full``, ``quick``, ``smoke``) and yields its cases,
each with its peers and ceiling.  Families are built one at a time, so that the inputs
of a finished one can be freed before the next is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastiter.bench.core import Case, optional

__all__ = ["Family", "FAMILIES", "family", "cases"]


@dataclass(frozen=True)
class Family:
    """A named group of cases, built together because they share their inputs."""

    name: str
    build: Callable[[str], list[Case]]
    needs: tuple[str, ...] = ()  # modules without which the family is skipped

    def missing(self) -> list[str]:
        return [m for m in self.needs if optional(m) is None]


def _kernels(name: str) -> Callable[[str], list[Case]]:
    def build(size: str) -> list[Case]:
        from fastiter.bench import kernels

        return getattr(kernels, name)(size)

    return build


def _module(name: str) -> Callable[[str], list[Case]]:
    def build(size: str) -> list[Case]:
        import importlib

        return importlib.import_module(f"fastiter.bench.{name}").cases(size)

    return build


FAMILIES = [
    Family("one_hot", _kernels("one_hot_cases")),
    Family("gather_scaled", _kernels("gather_scaled_cases")),
    Family("pad", _kernels("pad_cases")),
    Family("gather_collate", _kernels("gather_collate_cases")),
    Family("random", _kernels("random_cases")),
    Family("preprocessing", _module("preprocessing")),
    Family("iterators", _module("iterators")),
    Family("async", _module("async_")),
    Family("pipeline", _module("pipeline")),
    Family("mnist", _module("datasets")),
    Family("netcdf_write", _module("netcdf_write"), needs=("xarray", "dask", "netCDF4")),
    Family("netcdf_read", _module("netcdf_read"), needs=("xarray", "h5py", "netCDF4")),
]


def family(name: str) -> Family:
    """The family called ``name``."""
    for f in FAMILIES:
        if f.name == name:
            return f
    raise ValueError(f"family={name!r}: expected one of {[f.name for f in FAMILIES]}")


def cases(
    size: str = "full", only: list[str] | None = None, echo: Callable[[str], None] | None = None
) -> Iterator[Case]:
    """Every case of every family (or of the ``only`` ones), built family by family.

    A family whose modules are missing is skipped, said through ``echo``."""
    for f in FAMILIES if only is None else [family(n) for n in only]:
        missing = f.missing()
        if missing:
            if echo is not None:
                echo(f"{f.name}: skipped ({', '.join(missing)} not installed)")
            continue
        yield from f.build(size)
