# cython: language_level=3, binding=False
# binding=False: push/pop are called once per item, and plain method descriptors are
# called ~10-15% faster than Cython's introspectable function objects (measured, 1M
# single-thread push+pop: 85-88 against 90-91 ns an item); their signatures stay in the
# docstrings (embedsignature).
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

from fastiter._validate import is_int

from fastiter._core.fastiter cimport (
    fi_ring, fi_thread, FI_OK, FI_ECLOSED, FI_ETIMEDOUT, FI_ENOMEM,
    FI_RING_FOREVER, FI_RING_NOWAIT, FI_RING_MAX_CAPACITY,
    fi_now_ns, fi_ring_create, fi_ring_destroy, fi_ring_capacity, fi_ring_size,
    fi_ring_push, fi_ring_pop, fi_ring_close, fi_ring_is_closed,
    fi_ring_wait_items, fi_ring_wait_room,
    fi_thread_start, fi_thread_join_until, fi_thread_detach, fi_thread_done,
    fi_thread_live_count,
)

# A blocked wait wakes this often (ns) to let the main thread see signals.
cdef int64_t SLICE_NS = 50_000_000

# How long a blocked side lingers after the other side's last move (fi_ring_wait_items):
# several times the gap between two pushes of a cheap Python producer (~0.5 us).
cdef int64_t DEFAULT_LINGER_NS = 5_000
# More than any ring holds: linger until the other side blocks or goes quiet, since a
# full (or empty) ring alone does not mean the other side has let go of the GIL yet.
cdef size_t LINGER_ALL = <size_t>-1


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
    """A bounded single-producer / single-consumer queue of Python objects or integers.

    One thread may push while another pops; a second concurrent pusher (or popper)
    raises RuntimeError rather than corrupting the ring.

    With ``kind="int"`` the items are plain machine words (ints in ``[0, 2**64)``), with
    no reference counting, so a C pipeline can push into the very same ring from its own
    threads (``address`` is the ``fi_ring *``) while Python pops; the C side must stop
    using the ring (close it, join its threads) before the Ring object is freed.

    >>> r = Ring(4); _ = r.push("a"); _ = r.push("b"); r.close()
    >>> r.pop(), r.pop()
    ('a', 'b')
    """
    cdef fi_ring *ring
    cdef bint pushing, popping, objects
    cdef bint view_only      # a from_capsule view of a ring owned elsewhere
    cdef object keepalive    # that view's capsule
    cdef int64_t linger_ns

    def __cinit__(self, capacity, kind="object"):
        if kind not in ("object", "int"):
            raise ValueError(f"kind must be 'object' or 'int', got {kind!r}")
        self.objects = kind == "object"
        if not is_int(capacity):
            raise TypeError(f"capacity must be an int, got {type(capacity).__name__}")
        if not 1 <= capacity <= FI_RING_MAX_CAPACITY:
            raise ValueError(f"capacity must be in [1, {FI_RING_MAX_CAPACITY}], got {capacity}")
        self.linger_ns = DEFAULT_LINGER_NS
        cdef int st = fi_ring_create(<size_t>capacity, &self.ring)
        if st == FI_ENOMEM:
            raise MemoryError(f"cannot allocate a ring of {capacity} slots")
        if st != FI_OK:
            raise ValueError(f"fi_ring_create failed for capacity {capacity}")

    def __dealloc__(self):
        cdef void *item
        if self.view_only:  # the capsule's creator owns (and destroys) the ring
            self.ring = NULL
        if self.ring is NULL:
            return
        # No thread can be inside push/pop: each holds a reference to self.
        fi_ring_close(self.ring)
        while self.objects and fi_ring_pop(self.ring, &item, FI_RING_NOWAIT) == FI_OK:
            Py_DECREF(<object>item)
        fi_ring_destroy(self.ring)
        self.ring = NULL

    @property
    def kind(self):
        """'object' (Python objects, reference-counted) or 'int' (machine words)."""
        return "object" if self.objects else "int"

    @property
    def address(self):
        """The ``fi_ring *`` as an int, for C code that pushes or pops (kind='int' only)."""
        if self.objects:
            raise TypeError("address is only for kind='int' rings: C code cannot own "
                            "Python references")
        return <size_t>self.ring

    @property
    def linger(self):
        """Seconds a blocked push (pop) keeps spinning, GIL released, after the other
        side's last move, before returning to take the GIL (default 5 us).

        Once the first slot (item) is there, waiting on until the other side blocks
        saves the contended GIL hand-off of returning while it still runs Python; 0
        returns at once.
        """
        return self.linger_ns / 1e9

    @linger.setter
    def linger(self, value):
        try:
            t = float(value)
        except (TypeError, ValueError):
            t = -1.0
        if isinstance(value, bool) or not 0 <= t <= 1:
            raise ValueError(f"linger must be a number of seconds in [0, 1], got {value!r}")
        self.linger_ns = <int64_t>(t * 1e9)

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
        cdef void *item
        if self.pushing:
            raise RuntimeError("Ring.push called from two threads at once (single producer)")
        if self.objects:
            item = <void *>obj
            Py_INCREF(obj)
        else:
            item = <void *><size_t>obj  # OverflowError outside [0, 2**64)
        cdef int st = fi_ring_push(self.ring, item, FI_RING_NOWAIT)
        if st == FI_OK:
            return True
        if st == FI_ETIMEDOUT and timeout != 0:
            self.pushing = True
            try:
                st = self._wait(True, item, NULL, _deadline(timeout))
            except BaseException:
                if self.objects:
                    Py_DECREF(obj)  # interrupted: the item never entered the ring
                raise
            finally:
                self.pushing = False
        if st == FI_OK:
            return True
        if self.objects:
            Py_DECREF(obj)
        if st == FI_ECLOSED:
            raise RingClosed("push on a closed ring")
        return False

    cdef int _wait(self, bint for_room, void *item, void **out,
                   int64_t deadline) except? -99:
        # Wait for room (push) or an item (pop) with the GIL released, lingering while
        # the other side keeps moving (fi_ring_wait_room / fi_ring_wait_items), then do
        # the push or pop holding the GIL: this side is the ring's single producer or
        # consumer.  Waits run in slices so that signals (KeyboardInterrupt) get through.
        cdef int st = FI_ETIMEDOUT
        cdef int64_t until
        while True:
            until = fi_now_ns() + SLICE_NS
            if deadline < until:
                until = deadline
            with nogil:
                if for_room:
                    st = fi_ring_wait_room(self.ring, LINGER_ALL, self.linger_ns, until)
                else:
                    st = fi_ring_wait_items(self.ring, LINGER_ALL, self.linger_ns, until)
            if st == FI_OK:
                if for_room:
                    return fi_ring_push(self.ring, item, FI_RING_NOWAIT)
                return fi_ring_pop(self.ring, out, FI_RING_NOWAIT)
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
                st = self._wait(False, NULL, &item, _deadline(timeout))
            finally:
                self.popping = False
        if st == FI_OK:
            if not self.objects:
                return <size_t>item
            obj = <object>item   # a new reference ...
            Py_DECREF(obj)       # ... so drop the one the ring held
            return obj
        if st == FI_ECLOSED:
            raise RingClosed("the ring is closed and empty")
        raise TimeoutError(f"no item arrived within {timeout} s")

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
            if not self.objects:
                out.append(<size_t>item)
                continue
            obj = <object>item
            Py_DECREF(obj)
            out.append(obj)
        return out


    # Sharing the ring with C code (ring.h, "Sharing a ring across libraries").

    def capsule(self):
        """A PyCapsule named ``"fastiter.fi_ring"`` holding this ring's ``fi_ring *``.

        kind='int' only.  The capsule keeps this Ring alive, so C code may use the
        pointer for as long as the capsule is held; C threads must be stopped (close
        the ring, join them) before the capsule is dropped.  From ctypes, the pointer
        is ``ctypes.pythonapi.PyCapsule_GetPointer(cap, b"fastiter.fi_ring")`` (with
        ``restype = c_void_p``, ``argtypes = [py_object, c_char_p]``).

        >>> r = Ring(4, kind="int")
        >>> Ring.from_capsule(r.capsule()) is r
        True
        """
        if self.objects:
            raise TypeError("capsule() is only for kind='int' rings: C code cannot own "
                            "Python references")
        cap = PyCapsule_New(<void *>self.ring, FI_RING_CAPSULE_NAME, _release_capsule_ring)
        Py_INCREF(self)  # released by the capsule's destructor
        PyCapsule_SetContext(cap, <void *>self)
        return cap

    @staticmethod
    def from_capsule(capsule):
        """The Ring inside a ``"fastiter.fi_ring"`` capsule.

        For a capsule made by :meth:`capsule` this is that very Ring (one object, so
        the single-producer / single-consumer guards stay shared).  For a capsule that
        C code made around a ring of its own, a non-owning kind='int' Ring: it keeps
        the capsule alive and never destroys the ring; its creator does.
        """
        cdef Ring view
        if not PyCapsule_IsValid(capsule, FI_RING_CAPSULE_NAME):
            raise TypeError(f"capsule must be a PyCapsule named "
                            f"{FI_RING_CAPSULE_NAME.decode()!r}, got {capsule!r}")
        if PyCapsule_GetDestructor(capsule) == <PyCapsule_Destructor>_release_capsule_ring:
            return <object>PyCapsule_GetContext(capsule)
        view = Ring.__new__(Ring, 1, "int")
        fi_ring_destroy(view.ring)
        view.ring = <fi_ring *>PyCapsule_GetPointer(capsule, FI_RING_CAPSULE_NAME)
        view.view_only = True
        view.keepalive = capsule
        return view

    @property
    def borrowed(self):
        """True for a from_capsule view of a ring that C code owns."""
        return self.view_only

    def push_address(self, address, timeout=None):
        """:meth:`push` for kind='int' rings carrying pointers: ``address`` must be a
        non-zero int (a failed allocation is never an item).  On False or RingClosed the
        caller still owns what the address points to; on True the ring does.
        """
        if self.objects:
            raise TypeError("push_address is only for kind='int' rings")
        if not is_int(address):
            raise TypeError(f"address must be an int, got {type(address).__name__}")
        if not 0 < address <= <size_t>-1:
            raise ValueError(f"address must be in [1, {<size_t>-1:#x}], got {address:#x}")
        return self.push(address, timeout)

    def pop_address(self, timeout=None):
        """:meth:`pop` for kind='int' rings carrying pointers: the popped item is now
        the caller's, to release through the function its producer documents.
        """
        if self.objects:
            raise TypeError("pop_address is only for kind='int' rings")
        return self.pop(timeout)

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


# Capsules (Ring.capsule / Ring.from_capsule).
from cpython.pycapsule cimport (
    PyCapsule_Destructor, PyCapsule_New, PyCapsule_IsValid, PyCapsule_GetPointer,
    PyCapsule_GetContext, PyCapsule_SetContext, PyCapsule_GetDestructor,
)

cdef extern from "fastiter.h":
    const char *FI_RING_CAPSULE_NAME


cdef void _release_capsule_ring(object capsule) noexcept:
    # Drop the reference Ring.capsule() gave the capsule.
    cdef void *ring = PyCapsule_GetContext(capsule)
    if ring is not NULL:
        Py_DECREF(<object>ring)
