"""Every docstring example in the fastiter package runs and holds.

One runner for the whole package (STYLE: doctests run), so a new module's examples are
checked without anyone remembering to list it.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import fastiter

# modules whose import needs an optional framework
OPTIONAL = {"fastiter.torch": "torch"}


def _modules() -> list[str]:
    names = ["fastiter"]
    for info in pkgutil.walk_packages(fastiter.__path__, "fastiter."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name, tmp_path, monkeypatch):
    for prefix, framework in OPTIONAL.items():  # a package and its modules
        if name == prefix or name.startswith(prefix + "."):
            pytest.importorskip(framework)
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(name)
    globs = {"np": np, "DataSet": fastiter.DataSet, "MultiDataSet": fastiter.MultiDataSet}
    result = doctest.testmod(
        module,
        extraglobs=globs,
        report=True,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


# interfaces, enums and statistics holders are described by the classes that use them
NO_EXAMPLE_NEEDED = {
    "BaseIterator",
    "DataSetPreProcessor",
    "MultiDataSetIterator",
    "MultiDataSetPreProcessor",
    "RecordReader",
    "SequenceRecordReader",
    "RecordRefs",
    "AlignmentMode",
    "EMnistSet",
    "InequalityHandling",
    "DistributionStats",
    "MinMaxStats",
}


def test_public_classes_have_docstring_examples():
    missing = [
        n
        for n in fastiter.__all__
        if isinstance(getattr(fastiter, n, None), type)
        and not issubclass(getattr(fastiter, n), BaseException)
        and n not in NO_EXAMPLE_NEEDED
        and ">>>" not in (getattr(fastiter, n).__doc__ or "")
    ]
    assert not missing, f"public classes without an example in their docstring: {missing}"
