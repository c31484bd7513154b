import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile(
    "ci", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


pytest_plugins = ["pytester"]


def pytest_addoption(parser):
    parser.addoption(
        "--packaging",
        action="store_true",
        help="run tests/test_packaging.py: build the sdist and wheel and install "
        "them into fresh venvs (make packaging; minutes, needs the registry)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--packaging"):
        return
    skip = pytest.mark.skip(reason="packaging tests run with --packaging (make packaging)")
    for item in items:
        if "packaging" in item.keywords:
            item.add_marker(skip)
