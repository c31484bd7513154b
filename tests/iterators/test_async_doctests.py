"""The examples in the async modules' docstrings run and give what they show."""
import doctest
import importlib

import numpy as np
import pytest

MODULES = ["fastiter.iterators.async_", "fastiter.iterators.async_shield",
           "fastiter.iterators._pipeline", "fastiter.iterators._pool",
           "fastiter._core._ring"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "fastiter.iterators._pool":
        assert result.attempted > 0
