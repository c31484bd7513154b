"""In-process runners reuse the memory of one file's compute for the next file.

A user writes a lazy expression (the seed's ``sqrt(sin**2 + cos**2)``) with the default
``parallel='auto'``, which runs uncompressed files on threads in the calling process.
Each file's compute allocates several chunk-sized temporaries; when glibc hands them back
to the kernel, the next file faults every page in again, zeroed (about 1.7 chunks of fresh
pages per file measured at 5.4 MB chunks), a CPU cost the forked children avoid by
keeping freed memory.  Past the first file per worker, a file should cost few new pages.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import numpy as np
import pytest

from fastiter.netcdf import make_rasm, save_chunks

get_handler_name = getattr(np, "_core", np.core).multiarray.get_handler_name

NY, NX, STEPS = 205, 275, 12  # the rasm grid: 5.4 MB chunks
CHUNK_PAGES = STEPS * NY * NX * 8 // 4096


def _faults_of_a_write(tmp_path, runner: str, files: int) -> int:
    ds = make_rasm(n_time=STEPS * files, ny=NY, nx=NX).chunk({"time": STEPS})
    lazy = np.sqrt(np.sin(ds) ** 2 + np.cos(ds) ** 2)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    paths = save_chunks(
        lazy, tmp_path / f"{runner}-{files}", parallel=runner, workers=2, progress=False
    )
    assert len(paths) == files
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


MEASURE = """
import resource, sys
import numpy as np
from fastiter.netcdf import make_rasm, save_chunks

def faults(folder, files):
    ds = make_rasm(n_time={steps} * files, ny={ny}, nx={nx}).chunk({{"time": {steps}}})
    lazy = np.sqrt(np.sin(ds) ** 2 + np.cos(ds) ** 2)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    save_chunks(lazy, folder, parallel=sys.argv[1], workers=2, progress=False)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults(sys.argv[2] + "/warm", 1)  # imports, first layouts
few, many = faults(sys.argv[2] + "/few", 2), faults(sys.argv[2] + "/many", 6)
print(few, many)
"""


@pytest.mark.parametrize("runner", ["threads", "serial"])
def test_each_extra_file_faults_in_few_new_pages(tmp_path, runner):
    # In a fresh process with glibc's mmap threshold fixed, as in a process that set it
    # (mallopt, or an earlier library): blocks from 256 KiB on are then mapped and
    # handed back on every free.  With glibc's own sliding threshold the outcome hangs
    # on what the process freed before (this suite's order gave 394 new pages a file
    # in one fresh-clone run and passed in others; a fresh process keeps the blocks
    # even without recycling, so it could not fail).
    code = MEASURE.format(steps=STEPS, ny=NY, nx=NX)
    res = subprocess.run(
        [sys.executable, "-c", code, runner, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MALLOC_MMAP_THRESHOLD_": str(256 << 10)},
    )
    assert res.returncode == 0, res.stderr
    few, many = map(int, res.stdout.split())
    per_file = (many - few) / 4
    assert per_file < CHUNK_PAGES / 4, (
        f"parallel={runner!r}: each extra file of {CHUNK_PAGES} pages faulted in "
        f"{per_file:.0f} new pages ({few} faults for 2 files, {many} for 6): the compute's "
        f"temporaries are not reused from one file to the next"
    )


@pytest.mark.parametrize("runner", ["threads", "serial"])
def test_the_callers_numpy_allocator_is_left_as_it_was(tmp_path, runner):
    before = get_handler_name()
    _faults_of_a_write(tmp_path, runner, 2)
    assert get_handler_name() == before
    assert get_handler_name(np.ones(1 << 20)) == before
