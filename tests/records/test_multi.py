"""RecordReaderMultiDataSetIterator: builder checks, column picks, min count, sequences."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fastiter import kernels
from fastiter.errors import ZeroLengthSequenceError
from fastiter.records import (
    AlignmentMode,
    CollectionRecordReader,
    CollectionSequenceRecordReader,
)
from fastiter.records import (
    RecordReaderMultiDataSetIterator as RRMDSI,
)

needs_pad = pytest.mark.skipif(
    not hasattr(kernels, "pad_sequences"),
    reason="needs fastiter.kernels.pad_sequences (core issue)",
)


def records(rng, n=10, width=5, classes=4):
    data = rng.normal(size=(n, width)).round(3)
    data[:, -1] = rng.integers(0, classes, n)
    return data


def test_inputs_outputs_column_ranges_and_one_hot(rng):
    data = records(rng)
    it = (
        RRMDSI.Builder(4)
        .add_reader("r", CollectionRecordReader(data))
        .add_input("r", 0, 1)
        .add_input("r", 2, 3)
        .add_input_one_hot("r", 4, 4)
        .add_output("r")
        .add_output_one_hot("r", 4, 4)
        .build()
    )
    batches = [m for m in it]
    assert [len(m) for m in batches] == [4, 4, 2]
    f0 = np.concatenate([m.features[0] for m in batches])
    f1 = np.concatenate([m.features[1] for m in batches])
    oh = np.concatenate([m.features[2] for m in batches])
    out_all = np.concatenate([m.labels[0] for m in batches])
    np.testing.assert_array_equal(f0, data[:, 0:2].astype(np.float32))
    np.testing.assert_array_equal(f1, data[:, 2:4].astype(np.float32))
    np.testing.assert_array_equal(oh, np.eye(4, dtype=np.float32)[data[:, 4].astype(int)])
    np.testing.assert_array_equal(out_all, data.astype(np.float32))
    assert all(m.features_masks is None and m.labels_masks is None for m in batches)


def test_batch_takes_minimum_count_across_readers(rng):
    it = (
        RRMDSI.Builder(4)
        .add_reader("a", CollectionRecordReader(records(rng, n=6)))
        .add_reader("b", CollectionRecordReader(records(rng, n=5)))
        .add_input("a")
        .add_output("b")
        .build()
    )
    assert [len(m) for m in it] == [4, 1]


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda b: b.build(), "no reader"),
        (
            lambda b: b.add_reader("r", CollectionRecordReader(np.ones((2, 3)))).build(),
            "no input or output",
        ),
        (
            lambda b: (
                b.add_reader("r", CollectionRecordReader(np.ones((2, 3)))).add_input("x").build()
            ),
            "no reader named 'x'",
        ),
        (
            lambda b: (
                b.add_reader("r", CollectionRecordReader(np.ones((2, 3))))
                .add_input("r")
                .add_output("r", 1, 3)
                .build()
            ),
            "column 3 is beyond the record width 3",
        ),
        (
            lambda b: (
                b.add_reader("r", CollectionRecordReader(np.ones((2, 3))))
                .add_output_one_hot("r", 5, 2)
                .build()
            ),
            "column 5 is beyond the record width 3",
        ),
        (
            lambda b: b.add_reader("r", CollectionRecordReader(np.ones((2, 3)))).add_input(
                "r", 2, 1
            ),
            "first_col <= last_col",
        ),
        (
            lambda b: b.add_reader("r", CollectionRecordReader(np.ones((2, 3)))).add_input("r", 1),
            "both first_col and last_col",
        ),
        (
            lambda b: b.add_reader("r", CollectionRecordReader(np.ones((2, 3)))).add_reader(
                "r", CollectionRecordReader(np.ones((2, 3)))
            ),
            "already registered",
        ),
        (
            lambda b: b.add_reader("r", CollectionSequenceRecordReader([np.ones((2, 3))])),
            "must be a RecordReader",
        ),
        (lambda b: b.add_input_one_hot("r", 0, 0), "num_classes must be >= 1"),
        (lambda b: b.time_series_random_offset(True), "needs a seed"),
        (lambda b: b.sequence_alignment_mode("middle"), "alignment mode must be one of"),
    ],
)
def test_builder_misuse(build, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build(RRMDSI.Builder(2))


def test_one_hot_index_out_of_range_names_record(rng):
    data = records(rng, n=3)
    data[2, 4] = 7
    it = (
        RRMDSI.Builder(3)
        .add_reader("r", CollectionRecordReader(data))
        .add_input("r", 0, 3)
        .add_output_one_hot("r", 4, 4)
        .build()
    )
    with pytest.raises(ValueError, match=r"label 7.0 of record #2 of reader 'r'"):
        it.next()


def test_state_dict_resume(rng):
    data = records(rng, n=11)

    def make():
        return (
            RRMDSI.Builder(3)
            .add_reader("r", CollectionRecordReader(data))
            .add_input("r", 0, 3)
            .add_output_one_hot("r", 4, 4)
            .build()
        )

    full = list(make())
    it = make()
    it.next()
    it.next()
    resumed = make()
    resumed.load_state_dict(json.loads(json.dumps(it.state_dict())))
    assert resumed.next() == full[2] and resumed.reset_supported()


@needs_pad
def test_sequence_inputs_share_t_and_masks_only_where_needed():
    feats = [np.full((4, 2), i + 1.0) for i in range(3)]
    labs = [np.zeros((n, 1)) for n in (2, 1, 3)]
    it = (
        RRMDSI.Builder(3)
        .add_sequence_reader("f", CollectionSequenceRecordReader(feats))
        .add_sequence_reader("l", CollectionSequenceRecordReader(labs))
        .add_input("f")
        .add_output_one_hot("l", 0, 2)
        .sequence_alignment_mode(AlignmentMode.ALIGN_END)
        .build()
    )
    m = it.next()
    assert m.features[0].shape == (3, 2, 4) and m.labels[0].shape == (3, 2, 4)
    assert m.features_masks is None
    np.testing.assert_array_equal(m.labels_masks[0], [[0, 0, 1, 1], [0, 0, 0, 1], [0, 1, 1, 1]])
    np.testing.assert_array_equal(m.labels[0][:, 0, :], m.labels_masks[0])


@needs_pad
def test_default_alignment_is_align_start_and_mixes_with_records(rng):
    seqs = [np.ones((n, 1)) for n in (1, 3)]
    it = (
        RRMDSI.Builder(2)
        .add_sequence_reader("s", CollectionSequenceRecordReader(seqs))
        .add_reader("r", CollectionRecordReader(records(rng, n=2)))
        .add_input("s")
        .add_input("r", 0, 1)
        .add_output("r", 2, 2)
        .build()
    )
    m = it.next()
    np.testing.assert_array_equal(m.features_masks[0], [[1, 0, 0], [1, 1, 1]])
    assert m.features_masks[1] is None and m.labels_masks is None
    assert m.features[1].shape == (2, 2)


@needs_pad
def test_random_offset_is_seeded_and_stays_in_room():
    seqs = [np.ones((n, 1)) for n in (1, 2, 5)]

    def make():
        return (
            RRMDSI.Builder(3)
            .add_sequence_reader("s", CollectionSequenceRecordReader(seqs))
            .add_input("s")
            .time_series_random_offset(True, 7)
            .build()
        )

    a, b = make().next(), make().next()
    assert a == b
    mask = a.features_masks[0]
    assert mask.sum(1).tolist() == [1, 2, 5]
    for row, n in zip(mask, (1, 2, 5)):  # one contiguous run of n ones
        on = np.flatnonzero(row)
        assert on[-1] - on[0] == n - 1


@needs_pad
def test_empty_sequence_raises():
    it = (
        RRMDSI.Builder(2)
        .add_sequence_reader(
            "s", CollectionSequenceRecordReader([np.ones((2, 1)), np.ones((0, 1))])
        )
        .add_input("s")
        .build()
    )
    with pytest.raises(ZeroLengthSequenceError):
        it.next()


def test_collect_and_load_from_metadata(rng):
    a, b = records(rng, n=7), records(rng, n=7)
    it = (
        RRMDSI.Builder(3)
        .add_reader("a", CollectionRecordReader(a))
        .add_reader("b", CollectionRecordReader(b))
        .add_input("a", 0, 3)
        .add_output_one_hot("b", 4, 4)
        .collect_metadata(True)
        .build()
    )
    batches = list(it)
    metas = [m for mds in batches for m in mds.example_metadata]
    assert [m["b"].position for m in metas] == list(range(7))
    again = it.load_from_metadata([metas[5], metas[0]])
    np.testing.assert_array_equal(again.features[0], a[[5, 0], :4].astype(np.float32))
    np.testing.assert_array_equal(again.labels[0].argmax(1), b[[5, 0], 4].astype(int))
    with pytest.raises(ValueError, match="map every reader name"):
        it.load_from_metadata([{"a": metas[0]["a"]}])
