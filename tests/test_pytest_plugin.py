"""The pytest11 plugin (issue 16): prefixed fixtures, a lazy import, data and epoch fixtures."""

import json

import pytest

pytest_plugins = ["pytester"]


def _run(pytester, *args):
    # load the plugin explicitly whether or not its entry point is installed
    return pytester.runpytest("-p", "pytest_fastiter", "-p", "no:cacheprovider", *args)


@pytest.fixture
def isolated(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def test_random_batches_and_warm(isolated):
    isolated.makepyfile("""
        import numpy as np

        def test_batches(fastiter_random_batches, fastiter_warm):
            a = fastiter_random_batches((4, 3), n=2, seed=7)
            b = fastiter_random_batches((4, 3), n=3, seed=np.random.SeedSequence(7))
            assert len(a) == 2 and len(b) == 3
            assert all(x.shape == (4, 3) and x.dtype == np.float32 for x in b)
            assert not np.array_equal(b[0], b[1])
            assert ((b[0] > 0) & (b[0] < 1)).all()
            calls = []
            f = fastiter_warm(lambda x: calls.append(x), 5, rounds=3)
            assert calls == [5, 5, 5] and callable(f)
    """)
    _run(isolated).assert_outcomes(passed=1)


def test_every_fixture_is_prefixed(isolated):
    isolated.makepyfile("""
        def test_bare(warm):
            pass
    """)
    result = _run(isolated)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'warm' not found*"])
    import pytest_fastiter

    fixtures = [
        n
        for n in dir(pytest_fastiter)
        if hasattr(getattr(pytest_fastiter, n), "_fixture_function_marker")
        or type(getattr(pytest_fastiter, n)).__name__ == "FixtureFunctionDefinition"
    ]
    assert fixtures and all(n.startswith("fastiter_") for n in fixtures), fixtures


def test_the_plugin_does_not_import_fastiter(pytester):
    # the entry point is loaded as in any pytest run of the environment
    pytester.makepyfile("""
        import sys

        def test_nothing_imported():
            assert "pytest_fastiter" in sys.modules
            assert not [m for m in sys.modules if m == "fastiter" or m.startswith("fastiter.")]
    """)
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_data_factory_shapes_masks_and_determinism():
    from fastiter.pytest_plugin import DataFactory

    data = DataFactory()
    a = data.dataset(50, (4,), 3, seed=2)
    b = data.dataset(50, (4,), 3, seed=2)
    assert a == b and a.features.shape == (50, 4) and a.labels.sum() == 50
    s = data.dataset(40, (2,), 5, seed=1, time_steps=6, min_steps=2)
    lengths = s.features_mask.sum(axis=1)
    assert lengths.min() >= 2 and lengths.max() <= 6 and len(set(lengths.tolist())) > 1
    assert (s.features[:, :, 5][s.features_mask[:, 5] == 0] == 0).all()  # padded with 0
    it = data.iterator(40, (2,), 5, batch_size=16, seed=1, time_steps=6)
    batches = list(it)
    assert [len(x) for x in batches] == [16, 16, 8]
    assert batches[0].features_mask.shape == (16, 6)
    with pytest.raises(ValueError, match="min_steps"):
        data.dataset(4, (2,), 2, time_steps=3, min_steps=4)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_epoch_fixture_records_batches_and_throughput(isolated, tmp_path):
    pytest.importorskip("pytest_benchmark")
    isolated.makepyfile("""
        def test_epoch(fastiter_data, fastiter_epoch):
            it = fastiter_data.iterator(1000, (16,), 4, batch_size=100, seed=3)
            seen = []
            out = fastiter_epoch(it, rounds=3, consume=seen.append)
            assert out["batches"] == 10 and out["bytes"] == 1000 * (16 + 4) * 4
            assert out["batches_per_s"] > 0 and out["mb_per_s"] > 0
            assert len(seen) == 10 * 4     # 1 warm-up + 3 rounds
    """)
    report = tmp_path / "bench.json"
    result = isolated.runpytest(
        "-p",
        "pytest_fastiter",
        "-p",
        "pytest_benchmark.plugin",
        "-p",
        "no:cacheprovider",
        f"--benchmark-json={report}",
    )
    result.assert_outcomes(passed=1)
    info = json.loads(report.read_text())["benchmarks"][0]["extra_info"]
    assert info["batches"] == 10 and info["mb_per_s"] > 0 and info["batches_per_s"] > 0
