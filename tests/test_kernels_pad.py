"""pad_sequences and align_labels against tests/reference.py and DL4J's alignment table."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st

from fastiter import kernels

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_]


@st.composite
def batches(draw):
    n = draw(st.integers(0, 6))
    rank = draw(st.sampled_from([1, 2]))
    feats = draw(st.integers(1, 11))  # across the 8-wide SIMD tiles of pad_transpose.h
    dt = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    seqs = []
    for _ in range(n):
        t = draw(st.integers(0, 19))
        shape = (t,) if rank == 1 else (t, feats)
        seqs.append((rng.integers(1, 100, shape)).astype(dt))
    return seqs


@given(
    seqs=batches(),
    mode=st.sampled_from(["align_start", "align_end"]),
    max_length=st.one_of(st.none(), st.integers(0, 12)),
    truncating=st.sampled_from(["post", "pre"]),
    layout=st.sampled_from(["NFT", "NTF"]),
    pair=st.booleans(),
    value=st.sampled_from([0, 7]),
)
def test_pad_matches_reference(seqs, mode, max_length, truncating, layout, pair, value):
    dt = seqs[0].dtype if seqs else np.float32
    value = min(value, 1) if dt == np.bool_ else value
    if pair and seqs:
        lens = [len(s) for s in seqs]
        arg = (np.concatenate(seqs), np.concatenate([[0], np.cumsum(lens)]))
    else:
        arg = seqs
    got, mask = kernels.pad_sequences(
        arg,
        mode=mode,
        max_length=max_length,
        truncating=truncating,
        value=value,
        layout=layout,
        dtype=dt,
    )
    want, wmask = reference.pad_sequences(seqs, mode, max_length, truncating, value, dt, layout)
    if not seqs:
        assert got.shape[0] == 0 and mask.shape[0] == 0
        return
    assert got.dtype == dt and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(mask, wmask.astype(mask.dtype))


@given(seqs=batches(), data=st.data())
def test_pad_with_offsets_matches_reference(seqs, data):
    offsets = [data.draw(st.integers(0, 5)) for _ in seqs]
    got, mask = kernels.pad_sequences(seqs, offsets=offsets, layout="NTF")
    want, wmask = reference.pad_sequences(seqs, layout="NTF", offsets=offsets)
    if seqs:
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(mask, wmask.astype(mask.dtype))


def test_dl4j_worked_example_label_masks():
    # SPEC 5: features 4 steps; labels 2, 1 and 3 steps.
    labels = [np.ones((n, 2), np.float32) for n in (2, 1, 3)]
    _, start = kernels.pad_sequences(labels, mode="align_start", max_length=4)
    assert start.tolist() == [[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0]]
    # record-reader ALIGN_END: offset = that example's longest (4) - its length
    _, end = kernels.pad_sequences(labels, offsets=[2, 3, 1], max_length=4)
    assert end.tolist() == [[0, 0, 1, 1], [0, 0, 0, 1], [0, 1, 1, 1]]
    _, end2 = kernels.pad_sequences(labels, mode="align_end", max_length=4)
    assert end2.tolist() == end.tolist()


def test_layouts_and_rank1():
    a, b = np.arange(6.0).reshape(3, 2), np.arange(2.0).reshape(1, 2) + 10
    nft, _ = kernels.pad_sequences([a, b])
    assert nft.shape == (2, 2, 3) and nft[0].tolist() == a.T.tolist()
    ntf, _ = kernels.pad_sequences([a, b], layout="NTF")
    assert ntf.shape == (2, 3, 2) and ntf[1, 0].tolist() == [10, 11]
    r1, _ = kernels.pad_sequences([np.array([1, 2]), np.array([3])])
    assert r1.shape == (2, 2) and r1.tolist() == [[1, 2], [3, 0]]
    col, _ = kernels.pad_sequences([np.array([[1], [2]]), np.array([[3]])])
    assert col.shape == (2, 1, 2)  # DL4J's [N, 1, T] for F = 1


def test_mask_dtypes_and_keras_alias():
    x, m = kernels.pad_sequences(
        [np.ones(2, np.float16), np.ones(1, np.float16)], padding="pre", mask_dtype=bool
    )
    assert m.dtype == np.bool_ and m.tolist() == [[True, True], [False, True]]
    x, m = kernels.pad_sequences([np.ones(2, np.int32)])
    assert m.dtype == np.float32  # integer outputs get a float32 mask
    x, m = kernels.pad_sequences([np.ones(2, np.float64)])
    assert m.dtype == np.float64


def test_equal_length_names_first_differing_example():
    seqs = [np.ones((3, 2)), np.ones((3, 2)), np.ones((2, 2)), np.ones((1, 2))]
    with pytest.raises(ValueError, match=r"sequence 2 has length 2 .*align_start"):
        kernels.pad_sequences(seqs, mode="equal_length")
    x, m = kernels.pad_sequences(seqs[:2], mode="EQUAL_LENGTH")
    assert m.all() and x.shape == (2, 2, 3)


def test_out_and_mask_out_are_filled_in_place():
    out = np.full((2, 1, 3), 5.0, np.float32)
    mask = np.full((2, 3), 9.0, np.float32)
    seqs = [np.array([[1.0]], np.float32), np.array([[2.0], [3.0]], np.float32)]
    x, m = kernels.pad_sequences(seqs, max_length=3, out=out, mask_out=mask)
    assert x is out and m is mask
    assert out[:, 0].tolist() == [[1, 0, 0], [2, 3, 0]]
    assert mask.tolist() == [[1, 0, 0], [1, 1, 0]]


def test_mixed_and_list_inputs_convert():
    x, _ = kernels.pad_sequences([[1, 2], np.array([0.5])])
    assert x.dtype == np.float64 and x.tolist() == [[1, 2], [0.5, 0]]
    noncontig = np.arange(12.0).reshape(6, 2)[::2]
    x, _ = kernels.pad_sequences([noncontig], layout="NTF")
    assert x[0].tolist() == noncontig.tolist()


@pytest.mark.parametrize(
    "kwargs,err,msg",
    [
        (dict(mode="middle"), ValueError, "mode must be one of"),
        (dict(padding="both"), ValueError, "padding must be"),
        (dict(padding="post", mode="align_end"), ValueError, "contradicts"),
        (dict(truncating="mid"), ValueError, "truncating"),
        (dict(layout="TNF"), ValueError, "layout"),
        (dict(max_length=-1), ValueError, "max_length"),
        (dict(offsets=[5, 0], max_length=3), ValueError, r"offsets\[0\] = 5"),
        (dict(value=0.5, dtype=np.int32), TypeError, "value"),
        (dict(out=np.empty((2, 2, 3))), ValueError, "out must have shape"),
        (dict(out=np.empty((2, 2, 2), np.float32)), ValueError, "dtype float64"),
    ],
)
def test_bad_arguments_are_named(kwargs, err, msg):
    seqs = [np.ones((2, 2)), np.ones((1, 2))]
    with pytest.raises(err, match=msg):
        kernels.pad_sequences(seqs, **kwargs)


def test_bad_sequence_shape_is_named():
    with pytest.raises(ValueError, match=r"sequences\[1\] has shape \(2, 3\)"):
        kernels.pad_sequences([np.ones((2, 2)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="offsets must be non-decreasing"):
        kernels.pad_sequences((np.ones((4, 2)), np.array([0, 3, 2])))


def test_align_labels_many_to_one_and_one_to_many():
    labels = np.array([[1, 0], [0, 1], [1, 0]], np.float32)
    y, m = kernels.align_labels(labels, [3, 1, 2], max_length=4)
    assert y.shape == (3, 2, 4)
    assert m.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]]
    assert y[0, :, 2].tolist() == [1, 0] and y[0].sum() == 1
    y, m = kernels.align_labels(labels, [3, 1, 2], max_length=4, sequence_mode="align_end")
    assert m.tolist() == [[0, 0, 0, 1]] * 3
    y, m = kernels.align_labels(labels, [3, 1, 2], mode="align_start", sequence_mode="align_end")
    assert m.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    y, m = kernels.align_labels(np.array([4, 5]), [2, 2], offsets=[1, 0], layout="NTF")
    assert y.tolist() == [[0, 0, 4], [0, 5, 0]]
    with pytest.raises(ValueError, match=r"lengths\[1\] = 0"):
        kernels.align_labels(labels, [3, 0, 2])


@given(
    data=st.data(),
    n=st.integers(0, 6),
    classes=st.integers(1, 4),
    mode=st.sampled_from(["align_end", "align_start"]),
    seq_mode=st.sampled_from(["align_start", "align_end"]),
    layout=st.sampled_from(["NFT", "NTF"]),
    rank1=st.booleans(),
)
def test_align_labels_matches_reference(data, n, classes, mode, seq_mode, layout, rank1):
    lengths = [data.draw(st.integers(1, 8)) for _ in range(n)]
    use_offsets = data.draw(st.booleans())
    offsets = [data.draw(st.integers(0, 3)) for _ in range(n)] if use_offsets else None
    labels = np.arange(n * classes, dtype=np.float32).reshape(n, classes) + 1
    if rank1:
        labels = labels[:, 0]
    longest = max(
        [(o if offsets else 0) + L for o, L in zip(offsets or [0] * n, lengths)], default=0
    )
    max_length = data.draw(st.one_of(st.none(), st.integers(longest, longest + 3)))
    got, mask = kernels.align_labels(
        labels,
        lengths,
        mode=mode,
        max_length=max_length,
        sequence_mode=seq_mode,
        offsets=offsets,
        layout=layout,
    )
    want, wmask = reference.align_labels(
        labels, lengths, mode, max_length, seq_mode, offsets, layout
    )
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(mask, wmask.astype(mask.dtype))
