"""AddressRing: the ring of raw addresses shared with C through "fastiter.fi_ring" capsules."""
from __future__ import annotations

import ctypes
import gc
import sys
import threading
import time

import pytest

from fastiter import AddressRing, RingClosed

_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def test_fifo_capacity_and_len():
    r = AddressRing(5)
    assert r.capacity == 8 and len(r) == 0 and not r.is_view
    addrs = [0x10 * (i + 1) for i in range(8)]
    assert all(r.push_address(a) for a in addrs)
    assert len(r) == 8 and r.push_address(0x999, timeout=0) is False
    assert [r.pop_address() for _ in range(3)] == addrs[:3]
    assert r.drain_addresses() == addrs[3:] and len(r) == 0


def test_extreme_addresses_round_trip():
    r = AddressRing(2)
    top = 2 ** (8 * ctypes.sizeof(ctypes.c_void_p)) - 1
    r.push_address(1)
    r.push_address(top)
    assert [r.pop_address(), r.pop_address()] == [1, top]


def test_timeouts():
    r = AddressRing(1)
    with pytest.raises(TimeoutError):
        r.pop_address(timeout=0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        r.pop_address(timeout=0.05)
    assert time.monotonic() - t0 >= 0.04
    r.push_address(8)
    assert r.push_address(9, timeout=0.05) is False
    assert r.pop_address(timeout=0) == 8


def test_close_drains_then_refuses():
    r = AddressRing(4)
    r.push_address(3)
    r.close()
    assert r.closed
    with pytest.raises(RingClosed):
        r.push_address(4)
    assert r.pop_address() == 3
    with pytest.raises(RingClosed):
        r.pop_address(timeout=1)


@pytest.mark.parametrize("side", ["pop", "push"])
def test_close_wakes_a_blocked_waiter(side):
    r = AddressRing(1)
    if side == "push":
        r.push_address(1)
    outcome = []

    def wait():
        try:
            (r.pop_address if side == "pop" else r.push_address)(*([] if side == "pop" else [2]))
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
    r = AddressRing(16)
    n = 20000
    got = []

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


def test_capsule_holds_the_ring_and_its_pointer():
    r = AddressRing(4)
    refs = sys.getrefcount(r)
    cap = r.capsule()
    assert sys.getrefcount(r) == refs + 1  # the capsule keeps the ring alive
    assert _get_pointer(cap, b"fastiter.fi_ring") == r.address
    r.push_address(0x77)
    address = r.address
    del r
    gc.collect()
    view = AddressRing.from_capsule(cap)
    assert view.is_view and view.address == address and view.pop_address() == 0x77
    del cap  # the view still holds it
    gc.collect()
    view.push_address(0x78)
    assert view.pop_address() == 0x78


def test_capsule_reference_is_released():
    r = AddressRing(4)
    refs = sys.getrefcount(r)
    view = AddressRing.from_capsule(r.capsule())
    assert sys.getrefcount(r) == refs + 1
    del view
    gc.collect()
    assert sys.getrefcount(r) == refs


def test_a_view_never_destroys_the_ring():
    r = AddressRing(4)
    for _ in range(3):
        v = AddressRing.from_capsule(r.capsule())
        v.push_address(5)
        del v
        gc.collect()
    assert r.drain_addresses() == [5, 5, 5]
    r.close()
    assert AddressRing.from_capsule(r.capsule()).closed  # close seen through views


@pytest.mark.parametrize("capacity, exc, match", [
    (0, ValueError, r"capacity must be in \[1, .*got 0"),
    (2**31, ValueError, "capacity must be in"),
    (True, TypeError, "capacity must be an int, got bool"),
    ("4", TypeError, "got str"),
])
def test_bad_capacity(capacity, exc, match):
    with pytest.raises(exc, match=match):
        AddressRing(capacity)


@pytest.mark.parametrize("address, exc, match", [
    (0, ValueError, r"address must be in \[1, 0x"),
    (-5, ValueError, "address must be in"),
    (2**64, ValueError, "address must be in"),
    (1.5, TypeError, "address must be an int, got float"),
    (None, TypeError, "got NoneType"),
])
def test_bad_address(address, exc, match):
    r = AddressRing(2)
    with pytest.raises(exc, match=match):
        r.push_address(address)
    assert len(r) == 0


def test_bad_capsule_and_uninitialised_ring():
    other = ctypes.pythonapi.PyCapsule_New
    other.restype = ctypes.py_object
    other.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    with pytest.raises(TypeError, match="PyCapsule named 'fastiter.fi_ring'"):
        AddressRing.from_capsule(other(0x10, b"something.else", None))
    with pytest.raises(TypeError, match="got 5"):
        AddressRing.from_capsule(5)
    with pytest.raises(ValueError, match="not initialised"):
        AddressRing.__new__(AddressRing).pop_address()
    with pytest.raises(ValueError, match="timeout must be None or a number >= 0"):
        AddressRing(1).pop_address(timeout=-1)


def test_docstring_example():
    import doctest

    tests = doctest.DocTestFinder(recurse=False).find(AddressRing, "AddressRing",
                                                        globs={"AddressRing": AddressRing})
    assert tests and tests[0].examples
    runner = doctest.DocTestRunner()
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0
