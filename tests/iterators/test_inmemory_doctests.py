"""The examples in the in-memory iterator docstrings run and give what they show."""
import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["fastiter.iterators.inmemory", "fastiter.iterators.stream",
                                    "fastiter.iterators._bench_cases",
                                    "fastiter.iterators.pairs", "fastiter.iterators.array"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
