"""gather_windows against numpy's sliding_window_view."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastiter.kernels import gather_windows


def reference(block, starts, window, layout):
    w = np.lib.stride_tricks.sliding_window_view(block, window, axis=0)[starts]  # [N, F, T]
    return w if layout == "NFT" else w.transpose(0, 2, 1)


@settings(max_examples=60, deadline=None)
@given(
    steps=st.integers(1, 40),
    feats=st.integers(1, 9),
    window=st.integers(1, 8),
    dtype=st.sampled_from([np.float32, np.float64, np.int16, np.uint8]),
    layout=st.sampled_from(["NFT", "NTF"]),
    seed=st.integers(0, 2**16),
)
def test_matches_sliding_window_view(steps, feats, window, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    block = (rng.random((steps, feats)) * 100 + 1).astype(dtype)
    if window > steps:
        with pytest.raises(IndexError, match="longer than the block"):
            gather_windows(block, [0], window, layout)
        return
    starts = rng.integers(0, steps - window + 1, size=rng.integers(0, 12))
    got = gather_windows(block, starts, window, layout)
    np.testing.assert_array_equal(got, reference(block, starts, window, layout))
    assert got.flags.c_contiguous and got.dtype == block.dtype


def test_bad_arguments_are_named():
    b = np.ones((10, 3), np.float32)
    with pytest.raises(IndexError, match=r"indices\[1\] = 5"):
        gather_windows(b, [0, 5], 6)
    with pytest.raises(IndexError, match=r"indices\[0\] = -1"):
        gather_windows(b, [-1], 2)
    with pytest.raises(ValueError, match="window must be"):
        gather_windows(b, [0], 0)
    with pytest.raises(ValueError, match="layout"):
        gather_windows(b, [0], 2, layout="TNF")
    with pytest.raises(ValueError, match="C-contiguous 2-D"):
        gather_windows(b.T, [0], 2)
    out = np.empty((2, 3, 4), np.float32)
    assert gather_windows(b, [0, 6], 4, out=out) is out


@pytest.mark.parametrize("feats", [0, 3])
@pytest.mark.parametrize("layout", ["NFT", "NTF"])
def test_bad_start_is_reported_by_the_kernel_and_out_is_untouched(feats, layout):
    # the range check is the C kernel's, also for a block without features
    b = np.ones((10, feats), np.float32)
    shape = (3, feats, 4) if layout == "NFT" else (3, 4, feats)
    out = np.full(shape, 7.0, np.float32)
    with pytest.raises(
        IndexError,
        match=r"indices\[2\] = 7 is out of range .* 7 rows "
        r"\(valid: 0 to 6\)",
    ):
        gather_windows(b, [0, 6, 7], 4, layout, out=out)
    assert (out == 7.0).all()
    with pytest.raises(IndexError, match=r"indices\[0\] = -3"):
        gather_windows(b, np.array([-3], np.int32), 4, layout)
