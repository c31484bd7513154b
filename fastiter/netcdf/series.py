"""Many files as one series along ``dim`` (file order, contiguity, segments).

The implementation lives in :mod:`fastiter._ncseries`, beside the netCDF/HDF5 access
layer, because the record readers order their files the same way; this module keeps
the public name.
"""

from fastiter._ncseries import Series, SeriesError, order_files

__all__ = ["SeriesError", "Series", "order_files"]
