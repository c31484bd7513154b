"""Input paths for file readers: a path, a list of paths, or a glob in natural order."""

from __future__ import annotations

import glob
import os
import re
from typing import Any

__all__ = ["resolve_paths"]


def _natural_key(path: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def resolve_paths(paths: Any, name: str = "paths") -> list[str]:
    """A path, a list of paths or a glob pattern, as a list of existing files.

    Glob matches are sorted naturally (``seq_2`` before ``seq_10``).

    >>> resolve_paths([__file__]) == [__file__]
    True
    """
    if isinstance(paths, (str, os.PathLike)):
        p = os.fspath(paths)
        if glob.has_magic(p):
            found = sorted(glob.glob(p), key=_natural_key)
            if not found:
                raise FileNotFoundError(f"{name}: the pattern {p!r} matches no file")
            return found
        items = [p]
    elif isinstance(paths, (list, tuple)):
        items = [os.fspath(x) for x in paths]
    else:
        raise TypeError(
            f"{name} must be a path, a list of paths or a glob pattern, got {type(paths).__name__}"
        )
    if not items:
        raise ValueError(f"{name} must name at least one file, got an empty list")
    for p in items:
        if not os.path.isfile(p):
            raise FileNotFoundError(f"{name}: no such file {p!r}")
    return items
