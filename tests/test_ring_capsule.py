"""Ring(kind="int") shared with C: capsules, views, and the address push/pop."""

from __future__ import annotations

import ctypes
import doctest
import gc
import sys
import threading
import time

import pytest

from fastiter import Ring, RingClosed

_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype = ctypes.py_object
_new_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
TOP = 2 ** (8 * ctypes.sizeof(ctypes.c_void_p)) - 1


def test_addresses_fifo_and_extremes():
    r = Ring(4, kind="int")
    addrs = [1, 0x7F00_0000_1000, TOP, 0x10]
    assert all(r.push_address(a) for a in addrs)
    assert r.push_address(0x99, timeout=0) is False  # full
    assert [r.pop_address() for _ in range(2)] == addrs[:2]
    assert r.drain() == addrs[2:] and len(r) == 0
    with pytest.raises(TimeoutError):
        r.pop_address(timeout=0.02)


def test_capsule_holds_the_ring_and_its_pointer():
    r = Ring(4, kind="int")
    refs = sys.getrefcount(r)
    cap = r.capsule()
    assert sys.getrefcount(r) == refs + 1  # the capsule keeps the ring alive
    assert _get_pointer(cap, b"fastiter.fi_ring") == r.address
    r.push_address(0x77)
    address = r.address
    del r
    gc.collect()
    same = Ring.from_capsule(cap)  # still alive, through the capsule
    assert not same.borrowed and same.address == address and same.pop_address() == 0x77
    del cap
    gc.collect()
    assert sys.getrefcount(same) == refs  # the capsule's reference was released


def test_from_capsule_returns_the_very_ring():
    # One object per ring, so the single-producer / single-consumer guards are shared.
    r = Ring(4, kind="int")
    assert Ring.from_capsule(r.capsule()) is r


def test_foreign_capsule_gives_a_non_owning_view():
    owner = Ring(4, kind="int")  # stands in for a ring that C code created and owns
    for i in range(3):
        view = Ring.from_capsule(_new_capsule(owner.address, b"fastiter.fi_ring", None))
        assert view is not owner and view.borrowed and view.kind == "int"
        assert view.address == owner.address and view.capacity == 4
        view.push_address(0x100 + i)
        del view
        gc.collect()  # must not destroy (or close) the owner's ring
    assert not owner.closed and owner.drain() == [0x100, 0x101, 0x102]
    view = Ring.from_capsule(_new_capsule(owner.address, b"fastiter.fi_ring", None))
    view.close()
    assert owner.closed  # one ring, seen from both


@pytest.mark.parametrize("side", ["pop", "push"])
def test_close_wakes_a_blocked_address_waiter(side):
    r = Ring(1, kind="int")
    if side == "push":
        r.push_address(1)
    outcome = []

    def wait():
        try:
            r.pop_address() if side == "pop" else r.push_address(2)
            outcome.append("returned")
        except RingClosed:
            outcome.append("closed")

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.1)  # let it block (spin, then park)
    assert t.is_alive() and not outcome
    r.close()
    t.join(timeout=10)
    assert not t.is_alive() and outcome == ["closed"]


def test_threads_hand_off_every_address_once_in_order():
    r = Ring(16, kind="int")
    n, got = 20000, []

    def consume():
        try:
            while True:
                got.append(r.pop_address())
        except RingClosed:
            pass

    t = threading.Thread(target=consume)
    t.start()
    for a in range(1, n + 1):
        r.push_address(a)
    r.close()
    t.join(timeout=60)
    assert not t.is_alive() and got == list(range(1, n + 1))


@pytest.mark.parametrize(
    "address, exc, match",
    [
        (0, ValueError, r"address must be in \[1, 0x"),
        (-5, ValueError, "address must be in"),
        (TOP + 1, ValueError, "address must be in"),
        (1.5, TypeError, "address must be an int, got float"),
        (True, TypeError, "got bool"),
        (None, TypeError, "got NoneType"),
    ],
)
def test_bad_address(address, exc, match):
    r = Ring(2, kind="int")
    with pytest.raises(exc, match=match):
        r.push_address(address)
    assert len(r) == 0


def test_object_rings_refuse_the_c_side_api():
    r = Ring(2)
    for call in (r.capsule, r.pop_address, lambda: r.push_address(8)):
        with pytest.raises(TypeError, match="kind='int'"):
            call()


def test_bad_capsules():
    with pytest.raises(TypeError, match="PyCapsule named 'fastiter.fi_ring'"):
        Ring.from_capsule(_new_capsule(0x10, b"something.else", None))
    with pytest.raises(TypeError, match="got 5"):
        Ring.from_capsule(5)


def test_capsule_docstring_example():
    finder = doctest.DocTestFinder(recurse=False)
    tests = finder.find(Ring.capsule, "Ring.capsule", globs={"Ring": Ring})
    assert tests and tests[0].examples
    runner = doctest.DocTestRunner()
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0
