"""Many files as one series along ``dim``: file order, contiguity, and segments
(public as :mod:`fastiter.netcdf.series`; the netCDF iterators and the sequence record
readers use it).

Windows may cross file boundaries only where the series really continues, so the files
are put in the order of their ``dim`` coordinate and each boundary is checked:

- **overlap**: a file starts at or before the previous one's last step (also a file
  given twice) — always refused, naming both files;
- **gap**: the step across a boundary is more than 1.5 times the largest step inside
  any file (a missing month of monthly means is about 2 times) — refused unless
  ``allow_gaps=True``, which starts a new *segment* there: windows never cross it.

Times with ``units = "<unit> since <date>"`` are compared as instants (files may use
different reference dates, as xarray#2827 describes), through cftime in the files' own
calendar.  Files without a ``dim`` coordinate (HDF5 axes) keep their given order and
form one continuous series.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["SeriesError", "Series", "order_files"]


class SeriesError(ValueError):
    """The files do not form one series along ``dim`` (overlap, gap, bad coordinate)."""


class Series:
    """The files in series order and where the continuous runs (segments) begin.

    ``order[i]`` is the index (in the source) of the i-th file of the series;
    ``segment_starts`` are positions in ``order`` that begin a new segment (0 first).
    """

    __slots__ = ("order", "segment_starts")

    def __init__(self, order: Sequence[int], segment_starts: Sequence[int]) -> None:
        self.order = [int(i) for i in order]
        self.segment_starts = [int(s) for s in segment_starts]

    def __repr__(self) -> str:
        return f"Series(order={self.order}, segment_starts={self.segment_starts})"


def _instants(
    values: np.ndarray, attrs: dict[str, Any], path: str, calendar_seen: list[str]
) -> np.ndarray:
    units = attrs.get("units")
    if not isinstance(units, str) or " since " not in units:
        return np.asarray(values, np.float64)
    import cftime

    calendar = str(attrs.get("calendar", "standard"))
    if calendar_seen and calendar_seen[0] != calendar:
        raise SeriesError(
            f"{path} uses calendar {calendar!r}, another file "
            f"{calendar_seen[0]!r}; one series needs one calendar"
        )
    calendar_seen.append(calendar)
    dates = cftime.num2date(np.asarray(values), units, calendar)
    return np.asarray(cftime.date2num(dates, "seconds since 1970-01-01", calendar), np.float64)


def order_files(
    paths: Sequence[str], coords: Sequence[Any], dim: str, allow_gaps: bool = False
) -> Series:
    """Order files by their ``dim`` coordinate and check that they are contiguous.

    Parameters
    ----------
    paths : sequence of str
        The files, for messages.
    coords : sequence of (values, attrs) or None
        Each file's raw ``dim`` coordinate and its attributes; all None keeps the given
        order as one segment.
    dim : str
        The dimension's name, for messages.
    allow_gaps : bool
        Accept gaps, starting a new segment at each.

    Examples
    --------
    >>> c = lambda *v: (np.array(v, float), {})
    >>> order_files(["b", "a"], [c(3, 4), c(1, 2)], "time")
    Series(order=[1, 0], segment_starts=[0])
    >>> order_files(["a", "b"], [c(1, 2), c(5, 6)], "time", allow_gaps=True)
    Series(order=[0, 1], segment_starts=[0, 1])
    """
    if all(c is None for c in coords):
        return Series(range(len(paths)), [0])
    missing = [p for p, c in zip(paths, coords) if c is None]
    if missing:
        raise SeriesError(
            f"{missing[0]} has no {dim!r} coordinate but other files do; "
            f"files cannot be put in order"
        )
    calendars: list[str] = []
    values = [_instants(v, a, p, calendars) for p, (v, a) in zip(paths, coords)]
    for p, v in zip(paths, values):
        if v.size and not (np.diff(v) > 0).all():
            raise SeriesError(f"{p}: the {dim!r} coordinate is not strictly increasing")
    order = sorted((i for i in range(len(paths)) if values[i].size), key=lambda i: values[i][0])
    order += [i for i in range(len(paths)) if not values[i].size]  # empty files last
    inner = [float(np.diff(values[i]).max()) for i in order if values[i].size > 1]
    if not inner:  # one step per file: judge each boundary by the smallest one
        inner = [
            min(
                (
                    values[b][0] - values[a][-1]
                    for a, b in zip(order, order[1:])
                    if values[b].size and values[b][0] > values[a][-1]
                ),
                default=0.0,
            )
        ]
    limit = 1.5 * max(inner) if max(inner) > 0 else None
    starts = [0]
    for pos in range(1, len(order)):
        a, b = order[pos - 1], order[pos]
        if not values[b].size:
            continue
        step = values[b][0] - values[a][-1]
        if step <= 0:
            raise SeriesError(
                f"{paths[b]} overlaps {paths[a]} along {dim!r}: it starts "
                f"at or before the other's last step"
            )
        if limit is not None and step > limit:
            if not allow_gaps:
                raise SeriesError(
                    f"gap along {dim!r} between {paths[a]} and {paths[b]}: the step "
                    f"across them is {1.5 * step / limit:.2f} times the largest step "
                    f"inside a file; pass allow_gaps=True to accept it (windows will not "
                    f"cross the gap)"
                )
            starts.append(pos)
    return Series(order, starts)
