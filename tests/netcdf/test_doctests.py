"""The examples in fastiter.netcdf's docstrings run and print what they claim."""
import doctest
import importlib

import pytest

MODULES = ["fastiter.netcdf", "fastiter.netcdf.rasm", "fastiter.netcdf.split",
           "fastiter.netcdf.naming", "fastiter.netcdf.encoding", "fastiter.netcdf.writer",
           "fastiter.netcdf.reader"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
