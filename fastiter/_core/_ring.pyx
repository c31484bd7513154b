# cython: language_level=3
"""Python objects through the C ring (csrc/ring.c), and native threads that run Python.

Glue only: the ring's algorithm and the thread bookkeeping live in csrc/ring.c.
Reference counting is the contract that makes the ring safe for objects: a push takes a
new reference that the ring owns, a successful pop hands that reference to the caller,
and a ring that is freed with items inside releases them.  Every blocking wait runs
with the GIL released, in slices, so that Ctrl-C reaches a blocked main thread.
"""
from cpython.ref cimport PyObject, Py_INCREF, Py_DECREF
from cpython.exc cimport PyErr_CheckSignals
from libc.stdint cimport int64_t

import threading

from fastiter._core.fastiter cimport (
    fi_ring, fi_thread, FI_OK, FI_ECLOSED, FI_ETIMEDOUT, FI_ENOMEM,
    FI_RING_FOREVER, FI_RING_NOWAIT, FI_RING_MAX_CAPACITY,
    fi_now_ns, fi_ring_create, fi_ring_destroy, fi_ring_capacity, fi_ring_size,
    fi_ring_push, fi_ring_pop, fi_ring_close, fi_ring_is_closed,
    fi_thread_start, fi_thread_join_until, fi_thread_detach, fi_thread_done,
    fi_thread_live_count,
)

# A blocked wait wakes this often (ns) to let the main thread see signals.
cdef int64_t SLICE_NS = 50_000_000


class RingClosed(Exception):
    """The ring was closed: nothing more can be pushed, and nothing is left to pop."""


cdef int64_t _deadline(object timeout) except? -1:
    if timeout is None:
        return FI_RING_FOREVER
    t = float(timeout)
    if not t >= 0:
        raise ValueError(f"timeout must be None or a number >= 0, got {timeout!r}")
    if t == 0:
        return FI_RING_NOWAIT
    return fi_now_ns() + <int64_t>(t * 1e9)


cdef class Ring:
    """A bounded single-producer / single-consumer queue of Python objects.

    One thread may push while another pops; a second concurrent pusher (or popper)
    raises RuntimeError rather than corrupting the ring.

    >>> r = Ring(4); r.push("a"); r.push("b"); r.close()
    >>> r.pop(), r.pop()
    ('a', 'b')
    """
    cdef fi_ring *ring
    cdef bint pushing, popping

    def __cinit__(self, capacity):
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"capacity must be an int, got {type(capacity).__name__}")
        if not 1 <= capacity <= FI_RING_MAX_CAPACITY:
            raise ValueError(f"capacity must be in [1, {FI_RING_MAX_CAPACITY}], got {capacity}")
        cdef int st = fi_ring_create(<size_t>capacity, &self.ring)
        if st == FI_ENOMEM:
            raise MemoryError(f"cannot allocate a ring of {capacity} slots")
        if st != FI_OK:
            raise ValueError(f"fi_ring_create failed for capacity {capacity}")

    def __dealloc__(self):
        cdef void *item
        if self.ring is NULL:
            return
        # No thread can be inside push/pop: each holds a reference to self.
        fi_ring_close(self.ring)
        while fi_ring_pop(self.ring, &item, FI_RING_NOWAIT) == FI_OK:
            Py_DECREF(<object>item)
        fi_ring_destroy(self.ring)
        self.ring = NULL

    @property
    def capacity(self):
        """Slots, rounded up to a power of two."""
        return fi_ring_capacity(self.ring)

    @property
    def closed(self):
        """Whether close() has been called."""
        return fi_ring_is_closed(self.ring) != 0

    def __len__(self):
        return fi_ring_size(self.ring)

    def push(self, obj, timeout=None):
        """Append ``obj``; wait while full.

        Returns True, or False when ``timeout`` seconds passed with the ring still full.
        Raises RingClosed if the ring is closed (before or during the wait).
        """
        if self.pushing:
            raise RuntimeError("Ring.push called from two threads at once (single producer)")
        Py_INCREF(obj)
        cdef int st = fi_ring_push(self.ring, <void *>obj, FI_RING_NOWAIT)
        if st == FI_OK:
            return True
        if st == FI_ETIMEDOUT and timeout != 0:
            self.pushing = True
            try:
                st = self._wait_push(<void *>obj, _deadline(timeout))
            except BaseException:
                Py_DECREF(obj)  # interrupted: the item never entered the ring
                raise
            finally:
                self.pushing = False
        if st == FI_OK:
            return True
        Py_DECREF(obj)
        if st == FI_ECLOSED:
            raise RingClosed("push on a closed ring")
        return False

    cdef int _wait_push(self, void *item, int64_t deadline) except? -99:
        cdef int st = FI_ETIMEDOUT
        cdef int64_t until
        while True:
            until = fi_now_ns() + SLICE_NS
            if deadline < until:
                until = deadline
            with nogil:
                st = fi_ring_push(self.ring, item, until)
            if st != FI_ETIMEDOUT or until == deadline:
                return st
            PyErr_CheckSignals()  # raises, e.g. KeyboardInterrupt, in the main thread

    def pop(self, timeout=None):
        """Remove and return the oldest item; wait while empty.

        Raises RingClosed once the ring is closed and drained, TimeoutError when
        ``timeout`` seconds passed with the ring still empty.
        """
        cdef void *item = NULL
        if self.popping:
            raise RuntimeError("Ring.pop called from two threads at once (single consumer)")
        cdef int st = fi_ring_pop(self.ring, &item, FI_RING_NOWAIT)
        if st == FI_ETIMEDOUT and timeout != 0:
            self.popping = True
            try:
                st = self._wait_pop(&item, _deadline(timeout))
            finally:
                self.popping = False
        if st == FI_OK:
            obj = <object>item   # a new reference ...
            Py_DECREF(obj)       # ... so drop the one the ring held
            return obj
        if st == FI_ECLOSED:
            raise RingClosed("the ring is closed and empty")
        raise TimeoutError(f"no item arrived within {timeout} s")

    cdef int _wait_pop(self, void **item, int64_t deadline) except? -99:
        cdef int st = FI_ETIMEDOUT
        cdef int64_t until
        while True:
            until = fi_now_ns() + SLICE_NS
            if deadline < until:
                until = deadline
            with nogil:
                st = fi_ring_pop(self.ring, item, until)
            if st != FI_ETIMEDOUT or until == deadline:
                return st
            if st == FI_ETIMEDOUT:
                PyErr_CheckSignals()

    def close(self):
        """Refuse further pushes and wake every waiter; items inside can still be popped."""
        fi_ring_close(self.ring)

    def drain(self):
        """Pop and return everything left without waiting (consumer side)."""
        cdef void *item
        out = []
        if self.popping:
            raise RuntimeError("Ring.drain called while another thread pops")
        while fi_ring_pop(self.ring, &item, FI_RING_NOWAIT) == FI_OK:
            obj = <object>item
            Py_DECREF(obj)
            out.append(obj)
        return out


cdef void _thread_main(void *arg) noexcept nogil:
    with gil:
        _run(<object>arg)


cdef _run(NativeThread self):
    self.ident = threading.get_ident()
    try:
        self.target()
    except BaseException as exc:  # nothing above this frame could report it
        try:
            threading.excepthook(threading.ExceptHookArgs(
                (type(exc), exc, exc.__traceback__, None)))
        except BaseException:
            pass
    finally:
        self.target = None
        _forget_dummy_thread(self.ident)
        Py_DECREF(self)  # the reference start() lent to the thread


cdef _forget_dummy_thread(ident):
    # threading.current_thread() called on a foreign thread registers a _DummyThread
    # that Python never removes; drop ours so threading.enumerate() stays truthful.
    with threading._active_limbo_lock:
        if isinstance(threading._active.get(ident), threading._DummyThread):
            del threading._active[ident]


cdef class NativeThread:
    """A thread created in C (pthreads) that calls ``target()`` holding the GIL.

    Unlike ``threading.Thread`` it is not listed by ``threading.enumerate()``; count
    live ones with :func:`native_thread_count`.  Join it (or detach it) exactly once.
    """
    cdef fi_thread *thread
    cdef public object target
    cdef public object name
    cdef public object ident
    cdef bint started

    def __init__(self, target, name="fastiter-native"):
        if not callable(target):
            raise TypeError(f"target must be callable, got {type(target).__name__}")
        self.target = target
        self.name = name

    def start(self):
        """Start the thread; at most once."""
        if self.started:
            raise RuntimeError("a NativeThread can be started only once")
        self.started = True
        Py_INCREF(self)  # keeps self (and target) alive until _run ends
        cdef int st = fi_thread_start(&self.thread, _thread_main, <void *>self)
        if st != FI_OK:
            Py_DECREF(self)
            raise RuntimeError("the system refused to start a thread")

    def join(self, timeout=None):
        """Wait for the thread; True once it has finished and been joined.

        With ``timeout`` (seconds) returns False if it is still running.
        """
        cdef int st
        cdef int64_t deadline
        if self.thread is NULL:
            return self.started
        if self.ident == threading.get_ident():
            raise RuntimeError("a thread cannot join itself")
        deadline = _deadline(timeout)
        with nogil:
            st = fi_thread_join_until(self.thread, deadline)
        if st == FI_OK:
            self.thread = NULL
            return True
        return False

    def is_alive(self):
        """Whether the thread was started and its target has not returned."""
        if self.thread is NULL:
            return False
        return not fi_thread_done(self.thread)

    def detach(self):
        """Let the thread finish on its own (for interpreter exit); it is not joinable after."""
        if self.thread is not NULL:
            fi_thread_detach(self.thread)
            self.thread = NULL

    def __dealloc__(self):
        # Only reachable once _run has dropped its reference, so the thread is done.
        if self.thread is not NULL:
            fi_thread_detach(self.thread)
            self.thread = NULL


def native_thread_count():
    """Native threads (started by any NativeThread or C pipeline) still running."""
    return fi_thread_live_count()


# ---------------------------------------------------------------------------------
# Rings of raw addresses, shared with C code through a PyCapsule (see ring.h,
# "Sharing a ring across libraries").

from cpython.pycapsule cimport (
    PyCapsule_New, PyCapsule_IsValid, PyCapsule_GetPointer, PyCapsule_GetContext,
    PyCapsule_SetContext,
)
from libc.stdint cimport uintptr_t

cdef extern from "fastiter.h":
    const char *FI_RING_CAPSULE_NAME

cdef uintptr_t _MAX_ADDRESS = <uintptr_t>-1


cdef void _drop_capsule_owner(object capsule) noexcept:
    # The capsule lent its AddressRing a reference (see AddressRing.capsule).
    cdef void *owner = PyCapsule_GetContext(capsule)
    if owner is not NULL:
        Py_DECREF(<object>owner)


cdef int _wait_push_address(fi_ring *ring, void *item, int64_t deadline) except? -99:
    cdef int st
    cdef int64_t until
    while True:
        until = fi_now_ns() + SLICE_NS
        if deadline < until:
            until = deadline
        with nogil:
            st = fi_ring_push(ring, item, until)
        if st != FI_ETIMEDOUT or until == deadline:
            return st
        PyErr_CheckSignals()


cdef int _wait_pop_address(fi_ring *ring, void **item, int64_t deadline) except? -99:
    cdef int st
    cdef int64_t until
    while True:
        until = fi_now_ns() + SLICE_NS
        if deadline < until:
            until = deadline
        with nogil:
            st = fi_ring_pop(ring, item, until)
        if st != FI_ETIMEDOUT or until == deadline:
            return st
        PyErr_CheckSignals()


cdef class AddressRing:
    """A bounded single-producer / single-consumer ring of raw addresses (ints).

    The ring that C code shares with Python: hand it to C with :meth:`capsule`, let C
    threads ``fi_ring_push`` pointers into it, and pop them here with
    :meth:`pop_address` (or the other way round with :meth:`push_address`).

    Ownership: the ring never dereferences an item.  An address belongs to whoever
    pushed it until it is pushed, to the ring while inside, and to the popper after
    :meth:`pop_address` returns it; the popper releases it through the function its
    producer documents.  Items still inside when the ring is freed are *not* released:
    close the ring, join the producers, then release what :meth:`drain_addresses`
    returns.

    >>> r = AddressRing(4); r.push_address(0x1000); r.close()
    True
    >>> hex(r.pop_address()), r.drain_addresses()
    ('0x1000', [])
    """
    cdef fi_ring *ring
    cdef object keepalive  # a view's capsule
    cdef bint owner        # a flag, not `keepalive is None`: GC may clear keepalive first
    cdef bint pushing, popping

    def __init__(self, capacity):
        if self.ring is not NULL:
            raise RuntimeError("AddressRing.__init__ called twice")
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"capacity must be an int, got {type(capacity).__name__}")
        if not 1 <= capacity <= FI_RING_MAX_CAPACITY:
            raise ValueError(f"capacity must be in [1, {FI_RING_MAX_CAPACITY}], got {capacity}")
        cdef int st = fi_ring_create(<size_t>capacity, &self.ring)
        if st == FI_ENOMEM:
            raise MemoryError(f"cannot allocate a ring of {capacity} slots")
        if st != FI_OK:
            raise ValueError(f"fi_ring_create failed for capacity {capacity}")
        self.owner = True

    def __dealloc__(self):
        if self.ring is not NULL and self.owner:
            # Every user (capsules, views, waiting threads) holds a reference to self,
            # so nobody can be using the ring any more.
            fi_ring_close(self.ring)
            fi_ring_destroy(self.ring)
        self.ring = NULL

    cdef fi_ring *_ring(self) except NULL:
        if self.ring is NULL:
            raise ValueError("AddressRing was not initialised: use AddressRing(capacity) "
                             "or AddressRing.from_capsule(capsule)")
        return self.ring

    @staticmethod
    def from_capsule(capsule):
        """A non-owning view of the ring inside a ``"fastiter.fi_ring"`` capsule.

        The view keeps the capsule (and so the ring's owner) alive and never destroys
        the ring.  The single-producer / single-consumer rule spans all views.
        """
        if not PyCapsule_IsValid(capsule, FI_RING_CAPSULE_NAME):
            raise TypeError(f"capsule must be a PyCapsule named "
                            f"{FI_RING_CAPSULE_NAME.decode()!r}, got {capsule!r}")
        cdef AddressRing view = AddressRing.__new__(AddressRing)
        view.ring = <fi_ring *>PyCapsule_GetPointer(capsule, FI_RING_CAPSULE_NAME)
        view.keepalive = capsule
        return view

    def capsule(self):
        """A PyCapsule named ``"fastiter.fi_ring"`` whose pointer is the ``fi_ring *``.

        The capsule keeps this ring alive; C code may use the pointer while it holds
        the capsule (or while Python code holding it guarantees so).  From ctypes:
        ``ctypes.pythonapi.PyCapsule_GetPointer(cap, b"fastiter.fi_ring")`` (with
        ``restype = c_void_p`` and ``argtypes = [py_object, c_char_p]``).
        """
        cdef fi_ring *ring = self._ring()
        cap = PyCapsule_New(<void *>ring, FI_RING_CAPSULE_NAME, _drop_capsule_owner)
        Py_INCREF(self)
        PyCapsule_SetContext(cap, <void *>self)
        return cap

    @property
    def address(self):
        """The ``fi_ring *`` as an int, valid while this object is alive."""
        return <uintptr_t>self._ring()

    @property
    def is_view(self):
        """True for a view made by :meth:`from_capsule` (it does not own the ring)."""
        return not self.owner

    @property
    def capacity(self):
        """Slots, rounded up to a power of two."""
        return fi_ring_capacity(self._ring())

    @property
    def closed(self):
        """Whether the ring was closed, from any side."""
        return fi_ring_is_closed(self._ring()) != 0

    def __len__(self):
        return fi_ring_size(self._ring())

    def push_address(self, address, timeout=None):
        """Append ``address`` (a non-zero int); wait while the ring is full.

        Returns True (the ring now owns the item), or False when ``timeout`` seconds
        passed with the ring still full.  Raises RingClosed if the ring is closed; on
        False or RingClosed the caller still owns the item.
        """
        cdef fi_ring *ring = self._ring()
        if isinstance(address, bool) or not isinstance(address, int):
            raise TypeError(f"address must be an int, got {type(address).__name__}")
        if not 0 < address <= _MAX_ADDRESS:
            raise ValueError(f"address must be in [1, {_MAX_ADDRESS:#x}], got {address:#x}")
        if self.pushing:
            raise RuntimeError("push_address called from two threads at once (single producer)")
        cdef void *item = <void *><uintptr_t>address
        cdef int st = fi_ring_push(ring, item, FI_RING_NOWAIT)
        if st == FI_ETIMEDOUT and timeout != 0:
            self.pushing = True
            try:
                st = _wait_push_address(ring, item, _deadline(timeout))
            finally:
                self.pushing = False
        if st == FI_ECLOSED:
            raise RingClosed("push on a closed ring")
        return st == FI_OK

    def pop_address(self, timeout=None):
        """Remove the oldest item and return its address; wait while the ring is empty.

        The caller now owns the item.  Raises RingClosed once the ring is closed and
        drained, TimeoutError when ``timeout`` seconds passed with the ring still empty.
        """
        cdef fi_ring *ring = self._ring()
        cdef void *item = NULL
        if self.popping:
            raise RuntimeError("pop_address called from two threads at once (single consumer)")
        cdef int st = fi_ring_pop(ring, &item, FI_RING_NOWAIT)
        if st == FI_ETIMEDOUT and timeout != 0:
            self.popping = True
            try:
                st = _wait_pop_address(ring, &item, _deadline(timeout))
            finally:
                self.popping = False
        if st == FI_OK:
            return <uintptr_t>item
        if st == FI_ECLOSED:
            raise RingClosed("the ring is closed and empty")
        raise TimeoutError(f"no item arrived within {timeout} s")

    def drain_addresses(self):
        """Pop everything left without waiting (consumer side); the caller owns them."""
        cdef fi_ring *ring = self._ring()
        cdef void *item
        if self.popping:
            raise RuntimeError("drain_addresses called while another thread pops")
        out = []
        while fi_ring_pop(ring, &item, FI_RING_NOWAIT) == FI_OK:
            out.append(<uintptr_t>item)
        return out

    def close(self):
        """Refuse further pushes and wake every waiter, C threads included."""
        fi_ring_close(self._ring())
