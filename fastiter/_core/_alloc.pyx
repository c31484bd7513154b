# cython: language_level=3
"""numpy's allocator hook (NEP 49) over the block cache in csrc/blockcache.c.

Glue only.  A :class:`BlockCache` is a ``PyDataMem_Handler`` capsule: installed in a
thread's context (:meth:`BlockCache.install`), every numpy array that thread allocates
takes its data from the cache, and each array keeps a reference to the capsule, so the
cache lives until the last such array is freed, on whatever thread that happens.
"""
from cpython.pycapsule cimport PyCapsule_New, PyCapsule_GetPointer, PyCapsule_IsValid
from libc.stdint cimport uint8_t
from libc.stdlib cimport calloc, free
from libc.string cimport strcmp, strncpy

cimport numpy as cnp
import numpy as np

from fastiter._core.fastiter cimport (
    FI_OK, FI_BLOCKCACHE_MAX_BLOCKS, fi_blockcache, fi_blockcache_stats,
    fi_blockcache_create, fi_blockcache_alloc, fi_blockcache_calloc, fi_blockcache_realloc,
    fi_blockcache_free, fi_blockcache_take, fi_blockcache_set_limits, fi_blockcache_get_stats,
    fi_blockcache_destroy,
)

cnp.import_array()

cdef extern from "numpy/arrayobject.h":
    ctypedef struct PyDataMemAllocator:
        void *ctx
        void *(*malloc)(void *ctx, size_t size) noexcept nogil
        void *(*calloc)(void *ctx, size_t nelem, size_t elsize) noexcept nogil
        void *(*realloc)(void *ctx, void *ptr, size_t new_size) noexcept nogil
        void (*free)(void *ctx, void *ptr, size_t size) noexcept nogil
    ctypedef struct PyDataMem_Handler:
        char name[127]
        uint8_t version
        PyDataMemAllocator allocator
    object PyDataMem_SetHandler(object handler)

cdef const char *CAPSULE_NAME = "mem_handler"  # the name numpy requires


cdef void *_malloc(void *ctx, size_t n) noexcept nogil:
    return fi_blockcache_alloc(<fi_blockcache *>ctx, n)


# Set only inside BlockCache.zeros_or_recycled, which holds the GIL from setting it to
# clearing it (numpy calls the handler without releasing it): a calloc on that cache
# then takes a recycled block uncleared and records that it did.
cdef void *_recycle_ctx = NULL
cdef int _recycled = 0


cdef void *_calloc(void *ctx, size_t nelem, size_t elsize) noexcept nogil:
    global _recycled
    cdef void *p
    if ctx == _recycle_ctx and (elsize == 0 or nelem <= (<size_t>-1) // elsize):
        p = fi_blockcache_take(<fi_blockcache *>ctx, nelem * elsize)
        if p != NULL:
            _recycled = 1
            return p
    # A cache hit is cleared with memset while numpy still holds the GIL (its default
    # calloc lets go for large sizes); producers rarely ask for large zeroed arrays.
    return fi_blockcache_calloc(<fi_blockcache *>ctx, nelem, elsize)


cdef void *_realloc(void *ctx, void *p, size_t n) noexcept nogil:
    return fi_blockcache_realloc(<fi_blockcache *>ctx, p, n)


cdef void _free(void *ctx, void *p, size_t n) noexcept nogil:
    # n is ignored: the block's header knows its capacity
    fi_blockcache_free(<fi_blockcache *>ctx, p)


cdef void _destroy(object capsule) noexcept:
    cdef PyDataMem_Handler *h = <PyDataMem_Handler *>PyCapsule_GetPointer(capsule, CAPSULE_NAME)
    if h != NULL:
        fi_blockcache_destroy(<fi_blockcache *>h.allocator.ctx)
        free(h)


cdef class BlockCache:
    """A numpy allocator that recycles large blocks (``csrc/blockcache.c``).

    Parameters
    ----------
    min_bytes : int
        Arrays of at least this many bytes are recycled; smaller ones use malloc.
    max_blocks, max_bytes : int
        How many freed blocks, and how many bytes, the cache may hold.

    Examples
    --------
    >>> import numpy as np
    >>> cache = BlockCache(min_bytes=1024)
    >>> prev = cache.install()
    >>> a = np.ones(4096); del a
    >>> b = np.empty(4096)          # the same block again, its pages still mapped
    >>> _ = BlockCache.restore(prev)
    >>> cache.stats()["hits"]
    1
    """

    cdef object capsule
    cdef fi_blockcache *cache  # owned by the capsule, which outlives every array using it

    def __cinit__(self, size_t min_bytes=65536, size_t max_blocks=64,
                  size_t max_bytes=1 << 30):
        if max_blocks > FI_BLOCKCACHE_MAX_BLOCKS:
            raise ValueError(f"max_blocks must be <= {FI_BLOCKCACHE_MAX_BLOCKS}, "
                             f"got {max_blocks}")
        cdef PyDataMem_Handler *h = <PyDataMem_Handler *>calloc(1, sizeof(PyDataMem_Handler))
        if h == NULL:
            raise MemoryError("cannot allocate a numpy memory handler")
        cdef fi_blockcache *c = NULL
        if fi_blockcache_create(min_bytes, max_blocks, max_bytes, &c) != FI_OK:
            free(h)
            raise MemoryError("cannot create a block cache")
        strncpy(h.name, b"fastiter_blockcache", 126)
        h.version = 1
        h.allocator.ctx = c
        h.allocator.malloc = _malloc
        h.allocator.calloc = _calloc
        h.allocator.realloc = _realloc
        h.allocator.free = _free
        try:
            self.capsule = PyCapsule_New(h, CAPSULE_NAME, _destroy)
        except BaseException:
            fi_blockcache_destroy(c)
            free(h)
            raise
        self.cache = c

    def install(self):
        """Make this the allocator of the calling thread's context; returns the previous one."""
        return PyDataMem_SetHandler(self.capsule)

    @staticmethod
    def restore(previous):
        """Put back the handler :meth:`install` returned."""
        if not PyCapsule_IsValid(previous, CAPSULE_NAME):
            # anything else would break every later numpy allocation in this context
            raise TypeError(f"previous must be the numpy memory handler install() "
                            f"returned, got {type(previous).__name__}")
        return PyDataMem_SetHandler(previous)

    cdef object _swap_in(self):
        """Install this cache in the calling context and return the handler it replaced,
        or put that handler back and return None if it is not numpy's default (then the
        caller allocates with it)."""
        cdef object prev = PyDataMem_SetHandler(self.capsule)
        cdef PyDataMem_Handler *h = <PyDataMem_Handler *>PyCapsule_GetPointer(prev, CAPSULE_NAME)
        if strcmp(h.name, b"default_allocator") != 0:
            PyDataMem_SetHandler(prev)
            return None
        return prev

    def empty(self, shape, dtype):
        """``np.empty(shape, dtype)`` with its data from this cache.

        If the calling context already has a handler other than numpy's default (an
        ``AsyncDataSetIterator`` worker installs its own cache), that one is used: it
        is the one sized for the batches in flight.
        """
        cdef object prev = self._swap_in()
        if prev is None:
            return np.empty(shape, dtype)
        try:
            return np.empty(shape, dtype)
        finally:
            PyDataMem_SetHandler(prev)

    def zeros_or_recycled(self, shape, dtype):
        """``(array, zeroed)``: a recycled block as it was left (``zeroed`` False), else
        fresh zero pages (``zeroed`` True), for a caller that either writes every byte or
        writes only the non-zeros into zeros.  Installed handlers are respected as in
        :meth:`empty` (then the array is ``np.zeros``)."""
        global _recycle_ctx, _recycled
        cdef object prev = self._swap_in()
        if prev is None:
            return np.zeros(shape, dtype), True
        _recycle_ctx = self.cache
        _recycled = 0
        try:
            arr = np.zeros(shape, dtype)
            return arr, not _recycled
        finally:
            _recycle_ctx = NULL
            _recycled = 0
            PyDataMem_SetHandler(prev)

    def set_limits(self, size_t max_blocks, size_t max_bytes):
        """Change the limits; ``set_limits(0, 0)`` frees every cached block now and makes
        later frees go straight to the system (arrays still alive keep working)."""
        with nogil:
            fi_blockcache_set_limits(self.cache, max_blocks, max_bytes)

    def stats(self):
        """``hits``, ``misses``, ``cached_blocks`` and ``cached_bytes``, as a dict."""
        cdef fi_blockcache_stats s
        fi_blockcache_get_stats(self.cache, &s)
        return {"hits": s.hits, "misses": s.misses, "cached_blocks": s.cached_blocks,
                "cached_bytes": s.cached_bytes}

