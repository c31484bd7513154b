"""CSV readers: bulk parsing against Python's float(), dialect handling, errors, metadata."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastiter.records.csv as csvmod
from fastiter.records import (
    CSVFormatError,
    CSVRecordReader,
    CSVSequenceRecordReader,
    RecordMetaData,
    _csvparse,
)


def write(path, text):
    path.write_text(text)
    return str(path)


def read_all(reader, n=7):
    parts, metas = [], []
    while reader.has_next():
        v, refs = reader.next_records(n)
        parts.append(v.copy())
        metas += refs.to_list()
    return np.concatenate(parts), metas


COMMA = _csvparse.make_dialect(",", '"', 1)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
fmt = st.sampled_from(["{!r}", "{:.17g}", "{:e}", "{:.3f}", "{:.20e}", "{:+.6g}", " {} "])


@given(st.lists(st.tuples(finite, fmt), min_size=1, max_size=60))
def test_bulk_parse_matches_python_float_exactly(values):
    texts = [f.format(v) for v, f in values]
    data = (",".join(texts) + "\n").encode()
    got, _, _, _ = _csvparse.parse_block(data, "mem", 0, len(texts), COMMA, True)
    want = [float(t) for t in texts]
    assert got.shape == (1, len(texts))
    for g, w, t in zip(got[0], want, texts):
        assert g == w and math.copysign(1, g) == math.copysign(1, w), t


def test_special_values_and_long_mantissas():
    data = b"nan, inf,-inf, 1e-320, 123456789012345678901234567890, 0.1e400\n"
    got = _csvparse.parse_block(data, "mem", 0, 6, COMMA, True)[0][0]
    assert np.isnan(got[0]) and got[1] == np.inf and got[2] == -np.inf
    assert got[3] == float("1e-320") and got[4] == float("123456789012345678901234567890")
    assert got[5] == np.inf


def test_blank_lines_crlf_and_missing_final_newline(tmp_path):
    p = write(tmp_path / "a.csv", "1,2\r\n\r\n  \n3,4\r\n5,6")
    values, metas = read_all(CSVRecordReader(paths=p))
    np.testing.assert_array_equal(values, [[1, 2], [3, 4], [5, 6]])
    assert [m.position for m in metas] == [0, 3, 4]


def test_block_boundaries_do_not_split_records(tmp_path, monkeypatch, rng):
    data = rng.normal(size=(500, 7)).round(5)
    p = tmp_path / "big.csv"
    np.savetxt(p, data, delimiter=",", fmt="%.5f")
    monkeypatch.setattr(csvmod, "_BLOCK", 97)  # far smaller than a line
    values, metas = read_all(CSVRecordReader(paths=str(p)), n=33)
    np.testing.assert_array_equal(values, data)
    assert [m.position for m in metas] == list(range(500))


def test_skip_lines_per_file_glob_natural_order(tmp_path):
    for i in (10, 2, 1):
        write(tmp_path / f"part{i}.csv", f"a,b\n{i},0\n{i},1\n")
    r = CSVRecordReader(skip_lines=1, paths=str(tmp_path / "part*.csv"))
    values, metas = read_all(r)
    np.testing.assert_array_equal(values[:, 0], [1, 1, 2, 2, 10, 10])
    assert metas[0] == RecordMetaData(str(tmp_path / "part1.csv"), 1, "CSVRecordReader")
    assert r.num_columns() == 2


def test_other_delimiter_and_list_of_paths(tmp_path):
    a = write(tmp_path / "a.tsv", "1;2\n")
    b = write(tmp_path / "b.tsv", "3;4\n")
    values, _ = read_all(CSVRecordReader(delimiter=";", paths=[b, a]))
    np.testing.assert_array_equal(values, [[3, 4], [1, 2]])


@pytest.mark.parametrize(
    "text, line, col, what",
    [
        ("1,2\n3,x\n", 2, 1, "'x' is not a number"),
        ("1,2\n\n3,4e\n", 3, 1, "'4e' is not a number"),
        ("1,2\n3,,4\n", 2, 1, "'' is not a number"),
        ("1,2\n3\n", 2, None, "has 1 fields, expected 2"),
        ("1,2\n3,4,\n", 2, None, "has 3 fields, expected 2"),
        ('1,2\n"3",abc\n', 2, 1, "'abc' is not a number"),
    ],
)
def test_malformed_line_names_file_line_and_column(tmp_path, text, line, col, what):
    p = write(tmp_path / "bad.csv", text)
    r = CSVRecordReader(paths=p)
    with pytest.raises(CSVFormatError) as e:
        read_all(r)
    msg = str(e.value)
    assert p in msg and f"line {line}" in msg and what in msg
    if col is not None:
        assert f"column index {col}" in msg


def test_quoted_fields_and_category_column(tmp_path):
    p = write(tmp_path / "q.csv", '"1.5",2,cat\n3,"4",dog\n5,6,"cat"\n')
    r = CSVRecordReader(paths=p, labels=["dog", "cat"])
    values, _ = read_all(r)
    np.testing.assert_array_equal(values, [[1.5, 2, 1], [3, 4, 0], [5, 6, 1]])
    assert r.get_labels() == ["dog", "cat"]
    bad = write(tmp_path / "u.csv", "1,2,cow\n")
    with pytest.raises(CSVFormatError, match="'cow' is not one of the labels"):
        read_all(CSVRecordReader(paths=bad, labels=["dog", "cat"]))


def test_load_from_metadata_rebuilds_records(tmp_path, rng):
    data = rng.integers(0, 100, size=(40, 3)).astype(float)
    p = tmp_path / "m.csv"
    np.savetxt(p, data, delimiter=",", fmt="%d", header="h", comments="")
    r = CSVRecordReader(skip_lines=1, paths=str(p))
    values, metas = read_all(r)
    pick = [metas[i] for i in (31, 2, 17)]
    np.testing.assert_array_equal(r.load_from_metadata(pick), data[[31, 2, 17]])


def test_reset_rereads(tmp_path):
    r = CSVRecordReader(paths=write(tmp_path / "a.csv", "1\n2\n3\n"))
    first, _ = read_all(r)
    r.reset()
    assert r.skip(2) == 2
    np.testing.assert_array_equal(r.next(), [3.0])
    np.testing.assert_array_equal(first.ravel(), [1, 2, 3])


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="matches no file"):
        CSVRecordReader(paths=str(tmp_path / "*.nothing"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        CSVRecordReader(paths=str(tmp_path / "missing.csv"))
    with pytest.raises(ValueError, match="delimiter"):
        CSVRecordReader(delimiter=".")
    with pytest.raises(ValueError, match="skip_lines"):
        CSVRecordReader(skip_lines=-1)
    with pytest.raises(ValueError, match="no input"):
        CSVRecordReader().has_next()
    with pytest.raises(ValueError, match="distinct"):
        CSVRecordReader(labels=["a", "a"])


def test_sequence_reader_one_file_per_sequence(tmp_path, rng):
    seqs = [rng.normal(size=(t, 3)).round(4) for t in (5, 1, 12)]
    for i, s in enumerate(seqs):
        np.savetxt(
            tmp_path / f"seq_{i}.csv", s, delimiter=",", fmt="%.4f", header="a,b,c", comments=""
        )
    r = CSVSequenceRecordReader(skip_lines=1, paths=str(tmp_path / "seq_*.csv"))
    got, refs = r.next_sequences(10)
    assert len(got) == 3 and not r.has_next()
    for g, s in zip(got, seqs):
        np.testing.assert_array_equal(g, s)
    again = r.load_from_metadata([refs[2], refs[0]])
    np.testing.assert_array_equal(again[0], seqs[2])
    r.reset()
    assert r.skip(2) == 2 and r.next().shape == (12, 3)


def test_sequence_reader_empty_file_gives_zero_steps(tmp_path):
    write(tmp_path / "s0.csv", "1,2\n")
    write(tmp_path / "s1.csv", "")
    got, _ = CSVSequenceRecordReader(paths=str(tmp_path / "s*.csv")).next_sequences(2)
    assert got[1].shape == (0, 2)


def test_quotes_found_in_a_later_block_are_read_in_place(tmp_path, monkeypatch):
    lines = [f"{i},{i * 2}" for i in range(30)] + ['"30",60', "31,62"]
    p = write(tmp_path / "late.csv", "\n".join(lines) + "\n")
    monkeypatch.setattr(csvmod, "_BLOCK", 16)
    values, metas = read_all(CSVRecordReader(paths=p), n=4)
    np.testing.assert_array_equal(values, [[i, 2 * i] for i in range(32)])
    assert [m.position for m in metas] == list(range(32))
