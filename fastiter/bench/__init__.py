"""``fastiter bench``: fastiter against its peers, one registry of cases for every runner.

The cases (``registry.FAMILIES``) live here, outside the runtime subpackages: this
package imports the runtime, and nothing in the runtime imports it.  ``fastiter bench``
(:mod:`fastiter.cli`) and the pytest-benchmark files in the repository's bench/ folder run
the same cases; ``fastiter bench --markdown`` prints the README's table from one run.

Example
-------
>>> from fastiter.bench import registry
>>> [c.key for c in registry.cases("smoke", only=["gather_scaled"])]
['gather_scaled']
"""

from __future__ import annotations

from fastiter.bench.core import (
    Case,
    best_time,
    describe_ceiling,
    describe_ratio,
    format_rate,
    format_ratio,
    format_rows,
    format_seconds,
    machine,
    markdown_table,
    optional,
    plot_ratios,
    run_case,
    run_cases,
    write_report,
)
from fastiter.bench.registry import FAMILIES, Family, cases, family

__all__ = [
    "Case",
    "Family",
    "FAMILIES",
    "cases",
    "family",
    "best_time",
    "run_case",
    "run_cases",
    "write_report",
    "plot_ratios",
    "markdown_table",
    "machine",
    "format_rows",
    "format_ratio",
    "format_rate",
    "describe_ratio",
    "describe_ceiling",
    "format_seconds",
    "optional",
]
