"""Kernel benchmarks, part 3: Philox random generation (64M float32) against numpy's
Generator (one thread, and two spawned generators on two threads), torch's in-place
draws, and the ``fill`` ceiling of the same output (fastiter/bench/kernels.py)."""

FAMILIES = ["random"]


def test_case(run_registry):
    run_registry()
