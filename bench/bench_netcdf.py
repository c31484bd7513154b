"""The parallel chunked netCDF writer against xarray's ways of writing many files.

Every case is a registry case (fastiter/bench/netcdf_write.py), run here as in
``fastiter bench`` (``test_case``), one test per role:

- ``netcdf_write``: the pure write (integrity record on) against ``xr.save_mfdataset``,
  fastiter without a record, with crc32, sha256 and fsync, and raw ``.npy`` by two
  processes; ceiling raw ``.npy`` by one.  Compute included at 16 MB and 216 MB, with
  ``parallel='auto'`` against each runner forced (processes, threads, serial), no
  record, ``xr.save_mfdataset``, ``compute=False`` + ``dask.compute`` and one
  ``to_netcdf``; issue 19's limit max(compute alone with dask threads, page-cache write
  of the same bytes).  zlib 1 + shuffle against ``xr.save_mfdataset``.
- ``netcdf_cluster``: ``LocalCluster(2 workers x 1 thread)``, lazily generated data;
  fastiter against ``xr.save_mfdataset`` on that cluster (skipped without distributed).
  The client is passed to both, never made the default scheduler.
- ``netcdf_large``: the opt-in 1 GB row (compute included, 2220 months); the smoke run
  runs it on tiny inputs, a timed run only through ``fastiter bench --large``.

``FASTITER_BENCH_NETCDF_MONTHS=m`` (or ``FASTITER_BENCH_NETCDF_SCALE=k``: ``36 * k``
months) sets the months of the full-size cases.  Every timed call writes into a fresh
folder (cleared untimed); ``fastiter bench`` interleaves the roles round by round.
"""

FAMILIES = ["netcdf_write", "netcdf_cluster", "netcdf_large"]


def test_case(run_registry):
    run_registry()
