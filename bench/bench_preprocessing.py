"""Normalizer benchmarks on 10^6 x 64 float32: streaming fit and in-place transform
against numpy over the whole array (fastiter/bench/preprocessing.py)."""

FAMILIES = ["preprocessing"]


def test_case(run_registry):
    run_registry()
