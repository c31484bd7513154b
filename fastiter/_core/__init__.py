"""Cython glue over csrc/: declarations, nogil wrappers and `cdef api` entries.

Nothing here holds an algorithm; see csrc/ for the single implementation of each kernel.
"""
