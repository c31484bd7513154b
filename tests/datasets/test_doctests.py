"""The examples in the dataset modules' docstrings run and print what they say."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

MODULES = ["base", "cifar", "download", "emnist", "home", "idx", "images", "iris", "mnist",
           "uci", "__init__"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module("fastiter.datasets" if name == "__init__"
                                     else f"fastiter.datasets.{name}")
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
