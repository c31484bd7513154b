"""Kernel benchmarks, part 2: batch assembly (gather, gather_scaled, collate) against
``np.copyto`` of the same bytes and their numpy / numba / torch peers
(fastiter/bench/kernels.py)."""

FAMILIES = ["gather_collate", "gather_scaled"]


def test_case(run_registry):
    run_registry()
