"""Chunked netCDF: split a Dataset by its chunks, write the pieces in parallel, read back.

Examples
--------
>>> import tempfile, xarray as xr
>>> from fastiter.netcdf import make_rasm, save_chunks
>>> ds = make_rasm(ny=3, nx=4)
>>> paths = save_chunks(ds, tempfile.mkdtemp(), chunks={"time": 12}, parallel="serial",
...                     progress=False)
>>> with xr.open_mfdataset(paths, combine="by_coords") as back:
...     xr.testing.assert_identical(back.load(), ds)
"""

from fastiter._extras import require_extra

require_extra("netcdf", "fastiter.netcdf")

# (imported after the check, so a missing library gives the message above)
from fastiter.netcdf.encoding import plan_encoding
from fastiter.netcdf.filejob import ChunkWriteError
from fastiter.netcdf.naming import chunk_paths
from fastiter.netcdf.planplot import ChunkPlan, PlannedFile, plot_plan
from fastiter.netcdf.rasm import make_rasm
from fastiter.netcdf.reader import HDF5DataSetIterator, NetCDFDataSetIterator
from fastiter.netcdf.result import SaveResult
from fastiter.netcdf.resume import ResumeError, TargetsExistError
from fastiter.netcdf.split import split_by_chunks
from fastiter.netcdf.writer import (
    VerificationError,
    WritePlan,
    plan_chunks,
    run_plan,
    save_chunks,
    save_mfdataset,
)

__all__ = [
    "make_rasm",
    "split_by_chunks",
    "chunk_paths",
    "plan_encoding",
    "save_chunks",
    "plan_chunks",
    "run_plan",
    "WritePlan",
    "save_mfdataset",
    "ChunkWriteError",
    "VerificationError",
    "ResumeError",
    "TargetsExistError",
    "SaveResult",
    "plot_plan",
    "ChunkPlan",
    "PlannedFile",
    "NetCDFDataSetIterator",
    "HDF5DataSetIterator",
]
