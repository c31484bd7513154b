"""The netCDF async case's consumer is sized to the read (issue 20): ``Consumer.scaled``
must give the work it is asked for, whatever the factor."""

from __future__ import annotations

import pytest

from fastiter.bench.netcdf_read_async import Consumer


@pytest.mark.parametrize("factor", [0.5, 1.0, 1.2, 1.9, 2.5, 3.0, 7.3])
def test_a_scaled_consumer_does_the_work_asked_for(factor):
    # a batch of `size` values: each pass covers at most the batch, so the work is
    # min(m, size) * k values of np.sin.  With factor 1.9 it used to make one pass over
    # m = 1.9 size values, cut to the batch: half the work asked for (the bench's run
    # at 17:53 UTC, 2026-12-04, timed a consumer of 36 ms against a read of 80 ms)
    size = 10_000
    c = Consumer().scaled(factor, size)
    done = min(c.m or size, size) * c.k
    assert done == pytest.approx(factor * size, rel=0.01), (c.m, c.k)
