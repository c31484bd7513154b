"""Shared bench fixtures: fixed seeds, non-zero payloads, ceilings measured in the same run.

The cases ``fastiter bench`` runs live in one registry (fastiter/bench/registry.py).  A
bench file that lists ``FAMILIES = [...]`` and has a test taking ``run_registry`` gets
one test per case and role (fastiter, each ceiling, each peer), all of a case in the
case's pytest-benchmark group, so the same list is timed by both runners.  The family's
structure is read from a small build at collection; its inputs are built at the run's
size when its first test runs, and kept until the next family's.

With ``--benchmark-disable`` (the smoke run in ``make test``) every case runs once on
small inputs (the registry's ``smoke`` size, or the ``scale`` fixture here), so the
smoke run stays quick.  After timing ``fastiter`` the case's ``check`` asserts on what
it produced.  A family that cannot run here (a module or a C compiler missing) is
skipped with the registry's note; an opt-in family (the 1 GB writer row) runs in the
smoke run only, and is timed with ``fastiter bench --large`` (or ``--only NAME``), or
here with ``--opt-in NAME``.  A case's ``close`` (a
cluster's processes) runs when its family is freed or the session ends.

``fastiter bench`` interleaves a case's roles round by round; here each role is its own
test, timed one after another, so prefer ``fastiter bench`` for ratios on a busy machine.
"""

import numpy as np
import pytest

from fastiter.bench import registry

_BUILT: dict = {}  # (family, size) -> {key: Case}; one full-size family at a time


def _built(name, size):
    if (name, size) not in _BUILT:
        if size != "smoke":
            for k in [k for k in _BUILT if k[1] != "smoke"]:
                _close(_BUILT.pop(k))  # free the previous family's inputs
        _BUILT[(name, size)] = {c.key: c for c in registry.family(name).build(size)}
    return _BUILT[(name, size)]


def _close(built):
    for case in built.values():
        if case.close is not None:
            case.close()  # a cluster's processes end with their family


def pytest_addoption(parser):
    parser.addoption(
        "--opt-in",
        action="append",
        default=[],
        metavar="FAMILY",
        help="also time this opt-in registry family (netcdf_large, netcdf_read_cold)",
    )


def pytest_sessionfinish(session, exitstatus):
    while _BUILT:
        _close(_BUILT.popitem()[1])


def pytest_generate_tests(metafunc):
    if "registry_case" not in metafunc.fixturenames:
        return
    params = []
    for name in metafunc.module.FAMILIES:
        reason = registry.family(name).skip_reason()
        if reason is not None:
            params.append(
                pytest.param((name, None, None), id=name, marks=pytest.mark.skip(reason=reason))
            )
            continue
        for key, case in _built(name, "smoke").items():
            for role in case.roles():
                params.append(pytest.param((name, key, role), id=f"{key}-{role}"))
    metafunc.parametrize("registry_case", params)


@pytest.fixture
def run_registry(benchmark, registry_case, request):
    """Time one role of one registry case with pytest-benchmark, then check it."""
    from fastiter import kernels

    name, key, role = registry_case

    def run():
        opted = name in request.config.getoption("opt_in")
        if registry.family(name).opt_in and not benchmark.disabled and not opted:
            pytest.skip(
                f"{name}: opt-in: run it with `fastiter bench --only {name}` "
                f"or `pytest bench --opt-in {name}`"
            )
        case = _built(name, "smoke" if benchmark.disabled else "full")[key]
        fn = case.roles()[role]
        if fn is None:
            pytest.skip(f"{role}: not installed")
        benchmark.group = case.group
        old = kernels.get_num_threads()
        if case.threads is not None:
            kernels.set_num_threads(case.threads)
        try:
            if case.setup is not None or case.rounds:
                benchmark.pedantic(
                    fn, setup=case.setup, rounds=case.rounds or 5, iterations=1, warmup_rounds=1
                )
            else:
                benchmark(fn)
        finally:
            kernels.set_num_threads(old)
        if benchmark.stats is not None:
            best = benchmark.stats.stats.min
            benchmark.extra_info["GB/s"] = round(case.nbytes / best / 1e9, 3)
            if case.items:
                benchmark.extra_info["items_per_s"] = case.items / best
        if role == "fastiter" and case.check is not None:
            case.check()
        return case

    return run


@pytest.fixture(scope="session")
def bench_rng():
    return np.random.default_rng(2026)


@pytest.fixture(scope="session")
def scale(request):
    """scale(n, factor=64): n, or n // factor (at least 1) when benchmarks are disabled."""
    smoke = bool(request.config.getoption("benchmark_disable", False))

    def scaled(n: int, factor: int = 64) -> int:
        return max(1, n // factor) if smoke else n

    return scaled


@pytest.fixture
def one_thread():
    """fastiter's pool limited to 1 thread for the test (the peer of numba's serial loop)."""
    from fastiter import kernels

    old = kernels.get_num_threads()
    kernels.set_num_threads(1)
    yield
    kernels.set_num_threads(old)


@pytest.fixture(scope="session")
def numba_peers():
    """numba's prange and serial peers (fastiter/bench/numba_peers.py), or skip without numba."""
    from fastiter.bench import numba_peers

    par, ser = numba_peers.peers(True), numba_peers.peers(False)
    if par is None:
        pytest.skip("numba is not installed")
    return {"prange": par, "serial": ser}
