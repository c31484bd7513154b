"""Kernel benchmarks, part 1: one-hot and padding (fastiter/bench/kernels.py), each case
in its group with numba prange into a preallocated buffer, the convenient peers and the
ceiling, measured in the same run; out=, on 1 thread against numba's serial loop, and
allocating against its out= twin."""

FAMILIES = ["one_hot", "pad"]


def test_case(run_registry):
    run_registry()
