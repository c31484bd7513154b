"""The docstring examples of fastiter.preprocessing run and hold."""
import doctest
import importlib

import numpy as np
import pytest

MODULES = ["fastiter.preprocessing", "fastiter.preprocessing._stats",
           "fastiter.preprocessing.normalizers", "fastiter.preprocessing.multi",
           "fastiter.preprocessing.image", "fastiter.preprocessing.image_ops",
           "fastiter.preprocessing.sequence", "fastiter.preprocessing.composite",
           "fastiter.preprocessing._bench_cases"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    from fastiter import DataSet, MultiDataSet
    result = doctest.testmod(module, extraglobs={"np": np, "DataSet": DataSet,
                                                 "MultiDataSet": MultiDataSet},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
