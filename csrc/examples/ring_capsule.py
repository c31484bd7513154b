"""C produces, Python consumes: batches made by native threads, read in place from numpy.

Python creates one ``fastiter.Ring(capacity, kind="int")`` per producer and hands each to the C
library (ring_capsule.c) as a ``"fastiter.fi_ring"`` capsule.  The library's threads
assemble batches with the C kernels and push their addresses; Python pops batch ``k``
from ring ``k % n`` (so the order is deterministic), wraps the batch's arrays as numpy
arrays without copying, and hands the batch back to C with ``ex_batch_free``.

Run it with ``python ring_capsule.py`` (it compiles the library with ``cc`` first), or
pass the path of an already built ``libring_capsule.so``.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

import fastiter
from fastiter import Ring, RingClosed

HERE = Path(__file__).resolve().parent


class ExBatch(ctypes.Structure):
    """Mirror of ``ex_batch`` in batches.h."""

    _fields_ = [
        ("index", ctypes.c_int64),
        ("rows", ctypes.c_int64),
        ("features", ctypes.c_int64),
        ("classes", ctypes.c_int64),
        ("x", ctypes.POINTER(ctypes.c_float)),
        ("y", ctypes.POINTER(ctypes.c_float)),
    ]


def build(out_dir: str | os.PathLike) -> Path:
    """Compile ring_capsule.c and the fastiter C sources into a shared library."""
    out = Path(out_dir) / f"libring_capsule{sysconfig.get_config_var('SHLIB_SUFFIX') or '.so'}"
    sources = sorted(str(p) for p in Path(fastiter.get_source_dir()).glob("*.c"))
    cmd = [
        os.environ.get("CC", "cc"),
        "-std=c11",
        "-O2",
        "-shared",
        "-fPIC",
        f"-I{fastiter.get_include()}",
        str(HERE / "ring_capsule.c"),
        *sources,
        "-pthread",
        "-lm",
        "-o",
        str(out),
    ]
    subprocess.run(cmd, check=True)
    return out


def load(path: str | os.PathLike) -> ctypes.CDLL:
    """Load the library and declare its functions' signatures."""
    lib = ctypes.CDLL(str(path))
    lib.ex_start.restype = ctypes.c_void_p
    lib.ex_start.argtypes = [
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_int,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_uint64,
        ctypes.POINTER(ctypes.c_int),
    ]
    lib.ex_join.restype = ctypes.c_int
    lib.ex_join.argtypes = [ctypes.c_void_p]
    lib.ex_batch_free.restype = None
    lib.ex_batch_free.argtypes = [ctypes.c_void_p]
    lib.ex_live_threads.restype = ctypes.c_int64
    lib.ex_live_threads.argtypes = []
    lib.ex_batches_pending.restype = ctypes.c_int64
    lib.ex_batches_pending.argtypes = []
    return lib


_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def capsule_pointer(capsule: object) -> int:
    """The ``fi_ring *`` inside a ``"fastiter.fi_ring"`` capsule (ValueError if misnamed)."""
    return _get_pointer(capsule, b"fastiter.fi_ring")


class CBatch:
    """A batch owned by the C side, read in place: ``x`` and ``y`` view C memory.

    The views are valid until :meth:`release` (or the end of the ``with`` block);
    copy what must outlive it.
    """

    def __init__(self, lib: ctypes.CDLL, address: int) -> None:
        self._lib, self.address = lib, address
        b = ExBatch.from_address(address)
        self.index = b.index
        self.x = np.ctypeslib.as_array(b.x, shape=(b.rows, b.features))
        self.y = np.ctypeslib.as_array(b.y, shape=(b.rows, b.classes))

    def release(self) -> None:
        if self.address:
            self.x = self.y = None
            self._lib.ex_batch_free(self.address)
            self.address = 0

    def __enter__(self) -> CBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class CProducers:
    """``n`` C producer threads feeding ``n`` rings; a context manager that joins them.

    >>> with CProducers(lib, rows=1000, batch_size=64, seed=1) as run:  # doctest: +SKIP
    ...     for batch in run.batches():
    ...         train_step(batch.x, batch.y)
    """

    def __init__(
        self,
        lib: ctypes.CDLL,
        rows: int,
        batch_size: int,
        seed: int,
        producers: int = 2,
        capacity: int = 4,
    ) -> None:
        self._lib, self._handle = lib, None
        self.num_batches = -(-rows // batch_size)
        self.rings = [Ring(capacity, kind="int") for _ in range(producers)]
        # The capsules keep the rings alive while C holds their pointers.
        self._capsules = [r.capsule() for r in self.rings]
        self._args = (rows, batch_size, seed)

    def __enter__(self) -> CProducers:
        ptrs = (ctypes.c_void_p * len(self.rings))(*map(capsule_pointer, self._capsules))
        status = ctypes.c_int(0)
        self._handle = self._lib.ex_start(ptrs, len(self.rings), *self._args, ctypes.byref(status))
        if not self._handle:
            raise RuntimeError(f"ex_start failed with fastiter status {status.value}")
        return self

    def batches(self) -> Iterator[CBatch]:
        """Batches 0, 1, ... in order; each is released when the loop moves on."""
        for k in range(self.num_batches):
            with CBatch(self._lib, self.rings[k % len(self.rings)].pop_address()) as batch:
                yield batch

    def __exit__(self, *exc: object) -> None:
        if self._handle is None:
            return
        # Closing first wakes a producer blocked on a full ring (early exit); after a
        # full epoch the producers have closed their rings already.
        for ring in self.rings:
            ring.close()
        status, self._handle = self._lib.ex_join(self._handle), None
        for ring in self.rings:
            for address in ring.drain():
                self._lib.ex_batch_free(address)
        if status != 0 and exc[0] is None:
            raise RuntimeError(f"a C producer failed with fastiter status {status}")


def reference_batches(
    rows: int, batch_size: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The same epoch computed with numpy: the data set and order of batches.h."""
    from fastiter.kernels import random_bits

    x = np.arange(rows, dtype=np.float32)[:, None] + np.arange(12, dtype=np.float32) / 16
    labels = (7 * np.arange(rows) + 3) % 10
    perm = np.arange(rows)
    words = random_bits(max(rows - 1, 0), seed=seed).astype(np.uint64)
    for i in range(rows - 1, 0, -1):
        j = int((words[rows - 1 - i] * np.uint64(i + 1)) >> np.uint64(32))
        perm[i], perm[j] = perm[j], perm[i]
    for start in range(0, rows, batch_size):
        idx = perm[start : start + batch_size]
        yield x[idx], np.eye(10, dtype=np.float32)[labels[idx]]


def extra_batches(run: CProducers, lib: ctypes.CDLL, timeout: float = 10) -> int:
    """After a full epoch: count (and free) batches beyond it; each producer closed its ring."""
    extra = 0
    for ring in run.rings:
        try:
            while True:
                lib.ex_batch_free(ring.pop_address(timeout=timeout))
                extra += 1
        except RingClosed:
            pass
    return extra


def main(argv: list[str]) -> int:
    rows, batch_size, seed = 10_000, 128, 42
    with tempfile.TemporaryDirectory() as tmp:
        lib = load(argv[1] if len(argv) > 1 else build(tmp))
        with CProducers(lib, rows, batch_size, seed) as run:
            expected = reference_batches(rows, batch_size, seed)
            count = 0
            for batch, (x, y) in zip(run.batches(), expected):
                if not (np.array_equal(batch.x, x) and np.array_equal(batch.y, y)):
                    print(f"batch {batch.index} differs from the numpy reference")
                    return 1
                count += 1
            if extra_batches(run, lib):
                print("a batch arrived after the last one")
                return 1
    print(f"ring_capsule: {count} batches from C matched the numpy reference, in order")
    return 0 if count == run.num_batches else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
