"""RecordReaderDataSetIterator: DL4J's column mapping, labels, metadata, state, round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import ArrayDataSetIterator
from fastiter.records import (
    CollectionRecordReader,
    CSVRecordReader,
    RecordReaderDataSetIterator,
)


def table(rng, n=23, features=4, classes=3):
    x = rng.normal(size=(n, features)).round(3)
    y = rng.integers(0, classes, n)
    return x, y


def collect(it):
    return [ds for ds in it]


def test_label_last_column_one_hot(rng):
    x, y = table(rng)
    rr = CollectionRecordReader(np.column_stack([x, y]))
    batches = collect(RecordReaderDataSetIterator(rr, 5, label_index=4, num_classes=3))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(
        np.concatenate([b.features for b in batches]), x.astype(np.float32)
    )
    labels = np.concatenate([b.labels for b in batches])
    np.testing.assert_array_equal(labels, np.eye(3, dtype=np.float32)[y])
    assert labels.dtype == np.float32


def test_label_at_column_zero_features_after(rng):
    x, y = table(rng)
    rr = CollectionRecordReader(np.column_stack([y, x]))
    ds = RecordReaderDataSetIterator(rr, 100, 0, 3).next()
    np.testing.assert_array_equal(ds.features, x.astype(np.float32))
    np.testing.assert_array_equal(ds.labels.argmax(1), y)


def test_regression_range_in_middle_leaves_two_feature_ranges(rng):
    data = rng.normal(size=(9, 7))
    it = (
        RecordReaderDataSetIterator.Builder(CollectionRecordReader(data), 9)
        .regression(2, 4)
        .build()
    )
    ds = it.next()
    np.testing.assert_allclose(ds.features, data[:, [0, 1, 5, 6]].astype(np.float32))
    np.testing.assert_allclose(ds.labels, data[:, 2:5].astype(np.float32))
    assert (it.input_columns(), it.total_outcomes()) == (4, 3)


def test_single_column_regression(rng):
    data = rng.normal(size=(6, 3))
    ds = (
        RecordReaderDataSetIterator.Builder(CollectionRecordReader(data), 6)
        .regression(1)
        .build()
        .next()
    )
    np.testing.assert_allclose(ds.labels[:, 0], data[:, 1].astype(np.float32))


def test_features_only_labels_are_features(rng):
    data = rng.normal(size=(4, 3))
    ds = RecordReaderDataSetIterator(CollectionRecordReader(data), 4).next()
    np.testing.assert_array_equal(ds.labels, ds.features)
    assert ds.labels is not ds.features


def test_reader_with_labels_infers_last_column_and_num_classes(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("0.1,0.2,dog\n0.3,0.4,cat\n0.5,0.6,bird\n")
    rr = CSVRecordReader(paths=str(p), labels=["cat", "dog", "bird"])
    it = RecordReaderDataSetIterator(rr, 3)
    ds = it.next()
    assert ds.labels.shape == (3, 3) and ds.labels.argmax(1).tolist() == [1, 0, 2]
    assert ds.label_names == ["cat", "dog", "bird"] == it.get_labels()
    it2 = RecordReaderDataSetIterator.Builder(rr, 3).classification(2).build()
    assert it2.total_outcomes() == 3


def test_classification_without_num_classes_or_reader_labels_raises(rng):
    rr = CollectionRecordReader(rng.normal(size=(3, 3)))
    with pytest.raises(ValueError, match="num_classes is needed"):
        RecordReaderDataSetIterator.Builder(rr, 2).classification(2).build()


def test_label_out_of_range_names_file_and_line(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("h\n0.1,1\n0.2,0\n\n0.3,3\n")
    it = RecordReaderDataSetIterator(CSVRecordReader(1, paths=str(p)), 10, 1, 3)
    with pytest.raises(
        ValueError,
        match=r"label 3\.0 of record .*l\.csv, position 4 .*"
        r"\[0, num_classes=3\)",
    ):
        it.next()
    p.write_text("".join(f"0.{i},{i % 3}\n" for i in range(20)) + "0.9,7\n")
    it = RecordReaderDataSetIterator(CSVRecordReader(paths=str(p)), 10, 1, 3)
    assert len(it.next()) == len(it.next()) == 10  # the batches before the bad record
    with pytest.raises(ValueError, match=r"label 7\.0 of record .*position 20 "):
        it.next()
    p.write_text("0.1,1.5\n")
    it = RecordReaderDataSetIterator(CSVRecordReader(paths=str(p)), 10, 1, 3)
    with pytest.raises(ValueError, match="1.5 of record"):
        it.next()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(label_index=5, num_classes=2), "outside the record width 3"),
        (dict(label_index=-4, num_classes=2), "outside the record width 3"),
        (dict(label_index=0, label_index_to=2, regression=True), "no features left"),
        (dict(label_index=0, label_index_to=1, num_classes=3), "pass regression=True"),
        (dict(label_index=2, num_classes=0), "num_classes must be >= 1"),
        (dict(max_num_batches=0), "max_num_batches"),
        (dict(regression=True), "regression needs label_index"),
    ],
)
def test_misuse_errors(rng, kwargs, match):
    rr = CollectionRecordReader(rng.normal(size=(3, 3)))
    with pytest.raises(ValueError, match=match):
        RecordReaderDataSetIterator(rr, 2, **kwargs)


def test_max_num_batches_and_reset(rng):
    x, y = table(rng)
    it = (
        RecordReaderDataSetIterator.Builder(CollectionRecordReader(np.column_stack([x, y])), 4)
        .classification(4, 3)
        .max_num_batches(2)
        .build()
    )
    first = collect(it)
    assert len(first) == 2 and it.reset_supported()
    second = collect(it)
    assert all(a == b for a, b in zip(first, second))


class Doubler:
    def pre_process(self, ds):
        ds.features *= 2


def test_pre_processor_and_metadata_round_trip(tmp_path, rng):
    x, y = table(rng, n=17)
    p = tmp_path / "d.csv"
    np.savetxt(p, np.column_stack([x, y]), delimiter=",", fmt="%.3f")
    it = (
        RecordReaderDataSetIterator.Builder(CSVRecordReader(paths=str(p)), 5)
        .classification(4, 3)
        .collect_metadata(True)
        .pre_processor(Doubler())
        .build()
    )
    batches = collect(it)
    metas = [m for b in batches for m in b.example_metadata]
    assert [m.position for m in metas] == list(range(17))
    again = it.load_from_metadata([metas[i] for i in (16, 3, 8)])
    np.testing.assert_allclose(again.features, 2 * x[[16, 3, 8]].astype(np.float32))
    np.testing.assert_array_equal(again.labels.argmax(1), y[[16, 3, 8]])
    assert again.example_metadata == [metas[i] for i in (16, 3, 8)]


def test_state_dict_resume_matches_uninterrupted_run(tmp_path, rng):
    x, y = table(rng, n=30)
    p = tmp_path / "s.csv"
    np.savetxt(p, np.column_stack([x, y]), delimiter=",", fmt="%.3f")

    def make():
        return RecordReaderDataSetIterator(CSVRecordReader(paths=str(p)), 4, 4, 3)

    ref = make()
    ref.next()
    ref.next(3)  # an odd-sized batch: resume must count records, not batches
    state = json.loads(json.dumps(ref.state_dict()))
    rest = collect_rest(ref)
    resumed = make()
    resumed.load_state_dict(state)
    assert collect_rest(resumed) == rest
    assert not resumed.has_next()


def collect_rest(it):
    out = []
    while it.has_next():
        out.append(it.next())
    return out


def test_round_trip_csv_matches_array_iterator(tmp_path, rng):
    x = rng.normal(size=(101, 6)).astype(np.float32)
    y = rng.integers(0, 5, 101)
    p = tmp_path / "rt.csv"
    with open(p, "w") as f:
        f.write("f0,f1,f2,f3,f4,f5,label\n")
        for row, lab in zip(x, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{lab}\n")
    ours = (
        RecordReaderDataSetIterator.Builder(CSVRecordReader(1, paths=str(p)), 16)
        .classification(6, 5)
        .build()
    )
    ref = ArrayDataSetIterator(x, np.eye(5, dtype=np.float32)[y], batch_size=16)
    a, b = collect(ours), collect(ref)
    assert len(a) == len(b) == 7
    for da, db in zip(a, b):
        assert da == db
        assert da.features.dtype == db.features.dtype


def test_num_classes_without_label_index_takes_the_last_column(rng):
    x, y = table(rng, n=6)
    ds = RecordReaderDataSetIterator(
        CollectionRecordReader(np.column_stack([x, y])), 6, num_classes=3
    ).next()
    np.testing.assert_array_equal(ds.features, x.astype(np.float32))
    np.testing.assert_array_equal(ds.labels.argmax(1), y)


def test_public_names_are_exported_at_top_level():
    import fastiter
    import fastiter.records as records

    for name in records.__all__:
        assert getattr(fastiter, name) is getattr(records, name), name


@given(st.integers(1, 60), st.integers(1, 17), st.integers(1, 5))
def test_batching_matches_array_iterator_for_any_sizes(n, batch, classes):
    rng = np.random.default_rng(n * 100 + batch)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = rng.integers(0, classes, n)
    ours = RecordReaderDataSetIterator(
        CollectionRecordReader(np.column_stack([y, x])), batch, 0, classes
    )
    ref = ArrayDataSetIterator(x, np.eye(classes, dtype=np.float32)[y], batch_size=batch)
    assert collect(ours) == collect(ref)
