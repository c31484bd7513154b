"""The old import path of ``fastiter bench``'s timing and reports, kept for users who
wrote ``from fastiter import benchmark``; the code and the cases live in
:mod:`fastiter.bench`."""

from __future__ import annotations

from fastiter.bench import registry
from fastiter.bench.core import *  # noqa: F403  (curated: core.__all__)
from fastiter.bench.core import Case
from fastiter.bench.core import __all__ as _core_all

__all__ = [*_core_all, "default_cases"]


def default_cases(quick: bool = False) -> list[Case]:
    """Every registry case, at the ``quick`` or the ``full`` size."""
    return list(registry.cases("quick" if quick else "full"))
