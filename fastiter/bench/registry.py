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

__all__ = ["Family", "FAMILIES", "family", "cases", "selected"]


@dataclass(frozen=True)
class Family:
    """A named group of cases, built together because they share their inputs."""

    name: str
    build: Callable[[str], list[Case]]
    needs: tuple[str, ...] = ()  # modules without which the family is skipped
    extra: str = ""  # the pip extra that brings them, named in the skip note
    requires: Callable[[], str | None] | None = None  # why it cannot run here, or None
    opt_in: bool = False  # not in the default run: ``--large`` or ``--only NAME``
    large: bool = True  # an opt-in family ``--large`` adds (False: ``--only NAME`` alone)

    def missing(self) -> list[str]:
        return [m for m in self.needs if optional(m) is None]

    def skip_reason(self) -> str | None:
        """Why this family is skipped on this machine (a note for the report), or None."""
        missing = self.missing()
        if missing:
            hint = f" (pip install 'fastiter[{self.extra}]')" if self.extra else ""
            return f"{', '.join(missing)} not installed{hint}"
        return self.requires() if self.requires is not None else None


def _kernels(name: str) -> Callable[[str], list[Case]]:
    def build(size: str) -> list[Case]:
        from fastiter.bench import kernels

        return getattr(kernels, name)(size)

    return build


def _module(name: str, function: str = "cases") -> Callable[[str], list[Case]]:
    def build(size: str) -> list[Case]:
        import importlib

        return getattr(importlib.import_module(f"fastiter.bench.{name}"), function)(size)

    return build


def _c_handoff_missing() -> str | None:
    from fastiter.bench import handoff_c

    return handoff_c.missing()


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
    Family(
        "netcdf_read_cold",
        _module("netcdf_read", "cold_cases"),
        needs=("xarray", "h5py", "netCDF4"),
        opt_in=True,
        large=False,
    ),
    Family("handoff_c", _module("handoff_c"), requires=_c_handoff_missing),
    Family(
        "netcdf_cluster",
        _module("netcdf_write", "cluster_cases"),
        needs=("xarray", "dask", "netCDF4", "distributed"),
        extra="distributed",
    ),
    Family(
        "netcdf_large",
        _module("netcdf_write", "large_cases"),
        needs=("xarray", "dask", "netCDF4"),
        opt_in=True,
    ),
]


def family(name: str) -> Family:
    """The family called ``name``."""
    for f in FAMILIES:
        if f.name == name:
            return f
    raise ValueError(f"family={name!r}: expected one of {[f.name for f in FAMILIES]}")


def selected(only: list[str] | None = None, large: bool = False) -> list[Family]:
    """The families a run covers: the ``only`` ones, else every family that is not
    opt-in, plus the 1 GB writer row with ``large`` (the cold-cache reads run with
    ``only=["netcdf_read_cold"]`` alone).

    >>> [f.name for f in selected(large=True)][-1], "netcdf_large" in [f.name for f in selected()]
    ('netcdf_large', False)
    """
    if only is not None:
        return [family(n) for n in only]
    return [f for f in FAMILIES if not f.opt_in or (large and f.large)]


def cases(
    size: str = "full",
    only: list[str] | None = None,
    echo: Callable[[str], None] | None = None,
    large: bool = False,
    skipped: list[str] | None = None,
) -> Iterator[Case]:
    """Every case of the :func:`selected` families, built family by family.

    A family that cannot run here (a module or a compiler missing) is skipped: the note
    goes through ``echo`` and is appended to ``skipped``."""
    for f in selected(only, large):
        reason = f.skip_reason()
        if reason is not None:
            note = f"{f.name}: skipped, {reason}"
            if echo is not None:
                echo(note)
            if skipped is not None:
                skipped.append(note)
            continue
        yield from f.build(size)
