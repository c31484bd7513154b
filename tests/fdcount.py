"""What a reader test counts to show files closed and threads ended: the process's
descriptors open on given paths (``/proc/self/fd``), and its threads (``/proc/self/task``)."""

from __future__ import annotations

import os


def fds_to(paths) -> int:
    """How many of this process's file descriptors point at one of ``paths``."""
    real = {os.path.realpath(p) for p in paths}
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.path.realpath(os.readlink(f"/proc/self/fd/{fd}")) in real
        except OSError:  # the listing's own descriptor, already closed
            pass
    return n


def threads() -> int:
    """This process's threads, native ones included, with two process-wide pools that are
    not an iterator's to join counted as started:

    - OpenBLAS (numpy's and scipy's copies) stops its workers before every fork (an
      earlier test's worker processes) and starts them again at the next BLAS call or
      thread-count change, which can be the loader's BLAS limit in the middle of a test;
    - the kernels' pool starts at the first large enough kernel call and lives until exit
      or a resize (tests/test_kernels_threads.py tests that).
    """
    from threadpoolctl import ThreadpoolController

    from fastiter import kernels

    for lib in ThreadpoolController().lib_controllers:  # numpy's and scipy's OpenBLAS
        lib.set_num_threads(lib.num_threads)  # its workers up, if a fork stopped them
    return len(os.listdir("/proc/self/task")) - kernels.pool_live_threads()
