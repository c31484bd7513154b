"""In-process runners reuse the memory of one file's compute for the next file.

A user writes a lazy expression (the seed's ``sqrt(sin**2 + cos**2)``) with the default
``parallel='auto'``, which runs uncompressed files on threads in the calling process.
Each file's compute allocates several chunk-sized temporaries; when glibc hands them back
to the kernel, the next file faults every page in again, zeroed (about 1.7 chunks of fresh
pages per file measured at 5.4 MB chunks), a CPU cost the forked children avoid by
keeping freed memory.  Past the first file per worker, a file should cost few new pages.
"""

from __future__ import annotations

import resource

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


@pytest.mark.parametrize("runner", ["threads", "serial"])
def test_each_extra_file_faults_in_few_new_pages(tmp_path, runner):
    _faults_of_a_write(tmp_path / "warm", runner, 1)  # imports, first layouts
    few = _faults_of_a_write(tmp_path, runner, 2)
    many = _faults_of_a_write(tmp_path, runner, 6)
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
