"""SequenceRecordReaderDataSetIterator: DL4J's alignment modes and masks, hand-checked."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import kernels
from fastiter.errors import ZeroLengthSequenceError
from fastiter.records import (
    AlignmentMode,
    CollectionSequenceRecordReader,
    CSVSequenceRecordReader,
    SequenceRecordReaderDataSetIterator,
)

pytestmark = pytest.mark.skipif(
    not hasattr(kernels, "pad_sequences"),
    reason="needs fastiter.kernels.pad_sequences (core issue)",
)

START, END, EQUAL = AlignmentMode.ALIGN_START, AlignmentMode.ALIGN_END, AlignmentMode.EQUAL_LENGTH


def feature_seqs(lengths, f=2):
    # example i, step t, feature j holds 100*i + 10*j + t + 1: non-zero and traceable
    return [
        np.array([[100 * i + 10 * j + t + 1 for j in range(f)] for t in range(n)], float)
        for i, n in enumerate(lengths)
    ]


def label_seqs(lengths, classes=3):
    return [np.array([[(i + t) % classes] for t in range(n)], float) for i, n in enumerate(lengths)]


def two_reader_batch(flens, llens, mode, classes=3):
    it = SequenceRecordReaderDataSetIterator(
        CollectionSequenceRecordReader(feature_seqs(flens)),
        CollectionSequenceRecordReader(label_seqs(llens, classes)),
        len(flens),
        num_classes=classes,
        alignment_mode=mode,
    )
    return it.next()


def check_placement(batch, mask, seqs):
    """Where the mask is 1 the steps are the sequence in order; elsewhere zeros."""
    for i, s in enumerate(seqs):
        m = np.ones(batch.shape[2], bool) if mask is None else mask[i].astype(bool)
        np.testing.assert_array_equal(batch[i][:, m], s.T)
        assert not batch[i][:, ~m].any()


# --- the spec's worked example, verbatim ------------------------------------------------
def test_worked_example_align_start():
    ds = two_reader_batch([4, 4, 4], [2, 1, 3], START)
    assert ds.features_mask is None
    np.testing.assert_array_equal(ds.labels_mask, [[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0]])
    assert ds.features.shape == (3, 2, 4) and ds.labels.shape == (3, 3, 4)
    check_placement(ds.features, None, feature_seqs([4, 4, 4]))
    onehot = [np.eye(3)[s[:, 0].astype(int)] for s in label_seqs([2, 1, 3])]
    check_placement(ds.labels, ds.labels_mask, onehot)


def test_worked_example_align_end():
    ds = two_reader_batch([4, 4, 4], [2, 1, 3], END)
    assert ds.features_mask is None
    np.testing.assert_array_equal(ds.labels_mask, [[0, 0, 1, 1], [0, 0, 0, 1], [0, 1, 1, 1]])
    onehot = [np.eye(3)[s[:, 0].astype(int)] for s in label_seqs([2, 1, 3])]
    check_placement(ds.labels, ds.labels_mask, onehot)


def test_worked_example_equal_length_raises_and_suggests_modes():
    with pytest.raises(ValueError, match="ALIGN_START.*ALIGN_END") as e:
        two_reader_batch([4, 4, 4], [2, 1, 3], EQUAL)
    assert "features=4, labels=2" in str(e.value)


# --- many-to-one: one label per sequence -------------------------------------------------
def test_many_to_one_align_end_puts_label_on_last_input_step():
    ds = two_reader_batch([3, 5, 2], [1, 1, 1], END)
    np.testing.assert_array_equal(
        ds.features_mask, [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    )
    np.testing.assert_array_equal(
        ds.labels_mask, [[0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0, 1, 0, 0, 0]]
    )
    check_placement(ds.features, ds.features_mask, feature_seqs([3, 5, 2]))
    assert ds.labels[:, :, :].sum() == 3


def test_many_to_one_align_start():
    ds = two_reader_batch([3, 5, 2], [1, 1, 1], START)
    np.testing.assert_array_equal(
        ds.features_mask, [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    )
    np.testing.assert_array_equal(ds.labels_mask, [[1, 0, 0, 0, 0]] * 3)
    np.testing.assert_array_equal(ds.labels[:, :, 0], np.eye(3)[[0, 1, 2]])


def test_many_to_one_equal_length_raises():
    with pytest.raises(ValueError, match="EQUAL_LENGTH"):
        two_reader_batch([3, 3], [1, 1], EQUAL)


# --- one-to-many: one input step, a label sequence ---------------------------------------
def test_one_to_many_align_start():
    ds = two_reader_batch([1, 1, 1], [3, 5, 2], START)
    np.testing.assert_array_equal(ds.features_mask, [[1, 0, 0, 0, 0]] * 3)
    np.testing.assert_array_equal(
        ds.labels_mask, [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    )
    check_placement(ds.features, ds.features_mask, feature_seqs([1, 1, 1]))


def test_one_to_many_align_end():
    ds = two_reader_batch([1, 1, 1], [3, 5, 2], END)
    np.testing.assert_array_equal(
        ds.features_mask, [[0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0, 1, 0, 0, 0]]
    )
    np.testing.assert_array_equal(
        ds.labels_mask, [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    )
    check_placement(ds.features, ds.features_mask, feature_seqs([1, 1, 1]))


def test_one_to_many_equal_length_raises():
    with pytest.raises(ValueError, match="EQUAL_LENGTH"):
        two_reader_batch([1, 1], [3, 3], EQUAL)


# --- equal lengths: no masks at all -------------------------------------------------------
@pytest.mark.parametrize("mode", [START, END, EQUAL])
def test_equal_lengths_give_no_masks(mode):
    ds = two_reader_batch([3, 3], [3, 3], mode)
    assert ds.features_mask is None and ds.labels_mask is None
    check_placement(ds.features, None, feature_seqs([3, 3]))


def test_zero_length_sequence_raises():
    with pytest.raises(ZeroLengthSequenceError, match="labels of example"):
        two_reader_batch([2, 2], [2, 0], START)


# --- one reader, label in a column --------------------------------------------------------
def test_one_reader_label_column_and_align_start_masks():
    seqs = [np.column_stack([s, lab]) for s, lab in zip(feature_seqs([2, 4]), label_seqs([2, 4]))]
    it = SequenceRecordReaderDataSetIterator(
        CollectionSequenceRecordReader(seqs), None, 2, num_classes=3, label_index=2
    )
    assert (it.input_columns(), it.total_outcomes()) == (2, 3)
    ds = it.next()
    np.testing.assert_array_equal(ds.features_mask, [[1, 1, 0, 0], [1, 1, 1, 1]])
    np.testing.assert_array_equal(ds.labels_mask, ds.features_mask)
    check_placement(ds.features, ds.features_mask, feature_seqs([2, 4]))
    np.testing.assert_array_equal(ds.labels[1].argmax(0), [1, 2, 0, 1])


def test_regression_labels_keep_their_values():
    labs = [np.array([[0.5, -1.0], [2.0, 3.0]]), np.array([[7.0, 8.0]])]
    it = SequenceRecordReaderDataSetIterator(
        CollectionSequenceRecordReader(feature_seqs([2, 2])),
        CollectionSequenceRecordReader(labs),
        2,
        regression=True,
        alignment_mode=END,
    )
    assert (it.input_columns(), it.total_outcomes()) == (2, 2)
    ds = it.next()
    np.testing.assert_array_equal(ds.labels_mask, [[1, 1], [0, 1]])
    np.testing.assert_array_equal(ds.labels[1], [[0, 7.0], [0, 8.0]])


def test_label_out_of_range_names_example():
    it = SequenceRecordReaderDataSetIterator(
        CollectionSequenceRecordReader(feature_seqs([2, 2])),
        CollectionSequenceRecordReader(label_seqs([2, 2], classes=3)),
        2,
        num_classes=2,
    )
    # example 1's labels are 1, 2: class 2 is outside [0, 2)
    with pytest.raises(ValueError, match=r"label 2.0 of record collection, position 1"):
        it.next()


def test_misuse_errors():
    f = CollectionSequenceRecordReader(feature_seqs([2]))
    with pytest.raises(ValueError, match="label_index must name"):
        SequenceRecordReaderDataSetIterator(f, None, 1, num_classes=2)
    with pytest.raises(ValueError, match="outside the sequence width"):
        SequenceRecordReaderDataSetIterator(f, None, 1, num_classes=2, label_index=5)
    with pytest.raises(ValueError, match="num_classes is needed"):
        SequenceRecordReaderDataSetIterator(f, f, 1)
    with pytest.raises(ValueError, match="alignment mode"):
        SequenceRecordReaderDataSetIterator(f, f, 1, num_classes=2, alignment_mode="left")


# --- files, resume, metadata --------------------------------------------------------------
def write_sequences(folder, seqs, prefix):
    for i, s in enumerate(seqs):
        np.savetxt(folder / f"{prefix}_{i}.csv", s, delimiter=",", fmt="%g")
    return str(folder / f"{prefix}_*.csv")


def test_csv_files_state_resume_and_metadata(tmp_path, rng):
    lengths = rng.integers(1, 9, 11)
    fpat = write_sequences(tmp_path, feature_seqs(lengths), "f")
    lpat = write_sequences(tmp_path, label_seqs([1] * 11), "l")

    def make():
        return SequenceRecordReaderDataSetIterator(
            CSVSequenceRecordReader(paths=fpat),
            CSVSequenceRecordReader(paths=lpat),
            3,
            num_classes=3,
            alignment_mode=END,
            collect_metadata=True,
        )

    full = [ds for ds in make()]
    assert [len(d) for d in full] == [3, 3, 3, 2]
    it = make()
    it.next()
    state = json.loads(json.dumps(it.state_dict()))
    resumed = make()
    resumed.load_state_dict(state)
    rest = []
    while resumed.has_next():  # not `for`: iterating a started epoch resets it
        rest.append(resumed.next())
    assert rest == full[1:]
    metas = full[2].example_metadata
    again = make().load_from_metadata(metas)
    assert again == full[2]
    assert metas[0][0].source.endswith("f_6.csv")


@given(
    st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), min_size=1, max_size=6),
    st.sampled_from([START, END]),
)
def test_alignment_properties(pairs, mode):
    """Any lengths: T is the batch's longest; each array's mask exists iff one of its
    sequences is shorter than T; masks hold one run of ones as long as the sequence,
    starting at 0 (ALIGN_START) or ending at the example's own longest (ALIGN_END)."""
    flens, llens = [p[0] for p in pairs], [p[1] for p in pairs]
    ds = two_reader_batch(flens, llens, mode)
    t = max(flens + llens)
    assert ds.features.shape[2] == ds.labels.shape[2] == t
    for mask, lens in ((ds.features_mask, flens), (ds.labels_mask, llens)):
        assert (mask is None) == all(n == t for n in lens)
        full = np.ones((len(lens), t)) if mask is None else mask
        for i, n in enumerate(lens):
            on = np.flatnonzero(full[i])
            assert len(on) == n and on[-1] - on[0] == n - 1
            longest = max(flens[i], llens[i])
            assert on[0] == 0 if mode is START else on[-1] == longest - 1
    check_placement(ds.features, ds.features_mask, feature_seqs(flens))
