"""The examples in the data-object docstrings run and give what they show."""
import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["fastiter.dataset", "fastiter._examples",
                                    "fastiter._labels", "fastiter._transforms"])
def test_docstring_examples(module):
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, extraglobs={"np": importlib.import_module("numpy")},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
