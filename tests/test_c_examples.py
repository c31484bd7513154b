"""csrc/examples built and run as an embedding user would, checked against numpy.

ring_batches.c: two native producers, two rings, one C consumer (also under ASan/UBSan
and TSan).  ring_capsule.c + ring_capsule.py: C producers, Python consumer through
"fastiter.fi_ring" capsules, batches read in place.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from cbuild import ROOT, c_sources, compile_c, core_objects
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastiter

EXAMPLES = ROOT / "csrc" / "examples"
ROWS, BATCH, SEED = 3000, 64, 7
NUM_BATCHES = -(-ROWS // BATCH)  # 47: the last batch is short (56 rows)


def _load_example():
    spec = importlib.util.spec_from_file_location(
        "ring_capsule_example", EXAMPLES / "ring_capsule.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_example()


@pytest.fixture(scope="module")
def reference():
    return list(example.reference_batches(ROWS, BATCH, SEED))


def test_reference_is_a_shuffled_epoch(reference):
    # Guards the reference itself: every row exactly once, shuffled, one-hot labels.
    x = np.concatenate([bx for bx, _ in reference])
    y = np.concatenate([by for _, by in reference])
    rows = x[:, 0].astype(np.int64)
    assert len(reference) == NUM_BATCHES and [len(b) for b, _ in reference[-2:]] == [64, 56]
    assert sorted(rows) == list(range(ROWS)) and not (rows == np.arange(ROWS)).all()
    assert (x - rows[:, None] == np.arange(12, dtype=np.float32) / 16).all()
    np.testing.assert_array_equal(y.argmax(1), (7 * rows + 3) % 10)
    assert (y.sum(1) == 1).all()


def _read_batches(path, sizes):
    data = np.fromfile(path, dtype=np.float32)
    out, pos = [], 0
    for n in sizes:
        x = data[pos : pos + n * 12].reshape(n, 12)
        y = data[pos + n * 12 : pos + n * 22].reshape(n, 10)
        out.append((x, y))
        pos += n * 22
    assert pos == data.size, "the program wrote more than one epoch"
    return out


@pytest.fixture(scope="module")
def ring_batches(tmp_path_factory):
    built = {}

    def build(sanitize=None):
        if sanitize not in built:
            built[sanitize] = compile_c(
                [str(EXAMPLES / "ring_batches.c"), *core_objects(sanitize)],
                tmp_path_factory.mktemp("rb") / "ring_batches",
                sanitize,
            )
        return built[sanitize]

    return build


@pytest.mark.parametrize(
    "sanitize",
    [
        None,
        pytest.param("asan", marks=pytest.mark.slow),
        pytest.param("tsan", marks=pytest.mark.slow),
    ],
)
def test_ring_batches_two_producers_in_order(tmp_path, reference, ring_batches, sanitize):
    exe = ring_batches(sanitize)
    out = tmp_path / "batches.bin"
    res = subprocess.run(
        [str(exe), str(ROWS), str(BATCH), str(SEED), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == (
        f"ring_batches: {NUM_BATCHES} batches, {ROWS} rows, from 2 "
        "producers: each once, in order, contents verified\n"
    )
    assert res.stderr == ""
    got = _read_batches(out, [len(bx) for bx, _ in reference])
    for k, ((gx, gy), (rx, ry)) in enumerate(zip(got, reference)):
        assert np.array_equal(gx, rx) and np.array_equal(gy, ry), f"batch {k} differs"


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.integers(1, 700), batch=st.integers(1, 90), seed=st.integers(0, 2**64 - 1))
def test_ring_batches_any_shape(tmp_path, ring_batches, rows, batch, seed):
    # Batch larger than the data set, batch 1, one batch for the two producers, ...
    out = tmp_path / f"b{rows}_{batch}.bin"
    res = subprocess.run(
        [str(ring_batches()), str(rows), str(batch), str(seed), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    expected = list(example.reference_batches(rows, batch, seed))
    assert f"ring_batches: {len(expected)} batches, {rows} rows" in res.stdout
    got = _read_batches(out, [len(bx) for bx, _ in expected])
    for (gx, gy), (rx, ry) in zip(got, expected):
        assert np.array_equal(gx, rx) and np.array_equal(gy, ry)


def test_ring_batches_refuses_bad_arguments(ring_batches):
    exe = ring_batches()
    for args in (["0"], ["10", "0"], [str(2**19 + 1)]):
        res = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)
        assert res.returncode == 2 and "usage" in res.stderr, args


def test_ring_batches_compiles_with_the_documented_line(tmp_path):
    # The embedding user's command: no -std, no extra -I for the private headers.
    cc = os.environ.get("CC", "cc")
    exe = tmp_path / "ring_batches"
    subprocess.run(
        [
            cc,
            f"-I{fastiter.get_include()}",
            str(EXAMPLES / "ring_batches.c"),
            *c_sources(),
            "-pthread",
            "-lm",
            "-o",
            str(exe),
        ],
        check=True,
    )
    res = subprocess.run([str(exe), "500", "33"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "16 batches, 500 rows" in res.stdout, res.stderr


@pytest.fixture(scope="module")
def capsule_lib(tmp_path_factory):
    path = compile_c(
        [str(EXAMPLES / "ring_capsule.c"), *c_sources()],
        tmp_path_factory.mktemp("capsule") / "libring_capsule.so",
        extra=["-shared", "-fPIC"],
    )
    lib = example.load(path)
    lib.path = path
    return lib


def _os_threads(expect: int | None = None) -> int:
    """Threads of this process; with ``expect``, wait briefly for exiting ones to go
    (a joined thread may still be unwinding in the kernel)."""
    deadline = time.monotonic() + 5
    while True:
        n = len(os.listdir("/proc/self/task"))
        if expect is None or n <= expect or time.monotonic() > deadline:
            return n
        time.sleep(0.01)


def test_c_producers_python_consumer(capsule_lib, reference):
    threads_before = _os_threads()
    seen = []
    with example.CProducers(capsule_lib, ROWS, BATCH, SEED, producers=2, capacity=2) as run:
        for batch, (rx, ry) in zip(run.batches(), reference):
            header = example.ExBatch.from_address(batch.address)
            # Zero copy: the arrays are views of the C batch.
            assert batch.x.ctypes.data == ctypes.addressof(header.x.contents)
            assert batch.y.ctypes.data == ctypes.addressof(header.y.contents)
            assert np.array_equal(batch.x, rx) and np.array_equal(batch.y, ry)
            seen.append(batch.index)
        assert example.extra_batches(run, capsule_lib) == 0
    assert seen == list(range(NUM_BATCHES))
    assert capsule_lib.ex_batches_pending() == 0  # every batch released exactly once
    assert capsule_lib.ex_live_threads() == 0
    assert _os_threads(threads_before) == threads_before
    assert all(r.closed for r in run.rings)


def test_early_exit_wakes_blocked_producers_and_frees_everything(capsule_lib):
    # Capacity 1 and a stop after 3 of 400 batches: both producers sit on full rings
    # when the consumer leaves; closing must wake them and the leftovers be freed.
    threads_before = _os_threads()
    seen, errors = [], []

    def consume():
        try:
            with example.CProducers(capsule_lib, 20000, 50, 3, capacity=1) as run:
                for batch in run.batches():
                    seen.append(batch.index)
                    if len(seen) == 3:
                        break
        except BaseException as exc:  # noqa: BLE001 - the thread's error, asserted below
            errors.append(exc)

    t = threading.Thread(target=consume)
    t.start()
    t.join(timeout=60)
    assert not t.is_alive(), "closing the rings did not wake the C producers"
    assert not errors and seen == [0, 1, 2]
    assert capsule_lib.ex_batches_pending() == 0
    assert capsule_lib.ex_live_threads() == 0
    assert _os_threads(threads_before) == threads_before


def test_producer_failure_is_reported(capsule_lib):
    # rows beyond the data set limit: ex_start refuses before starting anything.
    with (
        pytest.raises(RuntimeError, match="status -1"),
        example.CProducers(capsule_lib, 2**19 + 1, 64, 0),
    ):
        pass
    assert capsule_lib.ex_live_threads() == 0


def test_ring_capsule_script_runs(capsule_lib):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / "ring_capsule.py"), str(capsule_lib.path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "79 batches from C matched the numpy reference, in order" in res.stdout
