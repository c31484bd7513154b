"""One meaning per CSV token: every way a token can reach the parser (bare, quoted, beside
a quoted field, beside a label column, in a sequence file, after a block boundary) gives
the same value or the same refusal, and that meaning is the grammar in docs/csv.md."""

from __future__ import annotations

import math
import pickle
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastiter.records.csv as csvmod
from fastiter.records import CSVFormatError, CSVRecordReader, CSVSequenceRecordReader

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z", re.ASCII)
_SPECIAL = re.compile(r"[+-]?(nan|inf|infinity)\Z", re.ASCII | re.IGNORECASE)


def reference(token: str) -> float | None:
    """The documented grammar, written the obvious way: the value, or None (refused)."""
    t = token.strip(" \t")
    return float(t) if _DECIMAL.match(t) or _SPECIAL.match(t) else None


# (token, value or None for "refused"), the cases where readers have disagreed included
TOKENS = [
    ("1", 1.0),
    ("-0", -0.0),
    ("+1.5", 1.5),
    ("1.", 1.0),
    (".5", 0.5),
    ("-.5", -0.5),
    ("1e3", 1000.0),
    ("1E-3", 0.001),
    ("1.e2", 100.0),
    ("007", 7.0),
    (" 7 ", 7.0),
    ("\t8", 8.0),
    ("1e400", math.inf),
    ("-1e400", -math.inf),
    ("1e-400", 0.0),
    ("123456789012345678901234567890", 1.2345678901234568e29),
    ("0.1234567890123456789012", 0.12345678901234568),
    ("nan", math.nan),
    ("NaN", math.nan),
    ("-nan", math.nan),
    ("inf", math.inf),
    ("-Infinity", -math.inf),
    ("INF", math.inf),
    ("0x10", None),
    ("0X1p3", None),
    ("1_000", None),
    ("1d", None),
    ("1f", None),
    ("", None),
    ("  ", None),
    (".", None),
    ("e5", None),
    ("1e", None),
    ("1e+", None),
    ("--1", None),
    ("+-1", None),
    ("1 2", None),
    ("nan(1)", None),
    ("infin", None),
    ("in", None),
    ("1.2.3", None),
    ("\u0661", None),
    ("\u00bd", None),
    ("1e5.5", None),
    ("0b1", None),
    ("1;2", None),
]


def _same(got: float, want: float) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    return got == want and math.copysign(1, got) == math.copysign(1, want)


def _read(tmp_path, name, text, **kw):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    r = CSVRecordReader(paths=str(p), **kw)
    parts = []
    while r.has_next():
        parts.append(r.next_records(64)[0])
    return np.concatenate(parts)


def _paths(tmp_path, token: str, monkeypatch) -> dict[str, object]:
    """The value of ``token`` (or the CSVFormatError) through each way into the parser."""
    out: dict[str, object] = {}
    ways = {
        "bare": (f"{token},1\n", {}, lambda v: v[0, 0]),
        "quoted": (f'"{token}",1\n', {}, lambda v: v[0, 0]),
        "beside a quoted field": (f'{token},"1"\n', {}, lambda v: v[0, 0]),
        "beside a label column": (f"{token},cat\n", {"labels": ["dog", "cat"]}, lambda v: v[0, 0]),
        "after numeric lines, small blocks": (
            "1,1\n" * 40 + f"{token},1\n",
            {"block": 16},
            lambda v: v[-1, 0],
        ),
    }
    for i, (way, (text, kw, pick)) in enumerate(ways.items()):
        block = kw.pop("block", None)
        with monkeypatch.context() as m:
            if block:
                m.setattr(csvmod, "_BLOCK", block)
            try:
                out[way] = pick(_read(tmp_path, f"w{i}.csv", text, **kw))
            except CSVFormatError as e:
                out[way] = e
    p = tmp_path / "seq.csv"
    p.write_bytes(f"1,1\n{token},1\n".encode())
    try:
        out["sequence file"] = CSVSequenceRecordReader(paths=str(p)).next()[1, 0]
    except CSVFormatError as e:
        out["sequence file"] = e
    return out


def _check(tmp_path, monkeypatch, token: str, want: float | None) -> None:
    for way, got in _paths(tmp_path, token, monkeypatch).items():
        if want is None:
            assert isinstance(got, CSVFormatError), (way, token, got)
            assert "is not a number" in str(got) and "column index 0" in str(got), str(got)
        else:
            assert not isinstance(got, Exception), (way, token, got)
            assert _same(float(got), want), (way, token, got, want)


@pytest.mark.parametrize("token, want", TOKENS, ids=[repr(t) for t, _ in TOKENS])
def test_token_table_same_meaning_on_every_path(tmp_path, monkeypatch, token, want):
    assert (reference(token) is None) == (want is None)  # the table is the grammar
    _check(tmp_path, monkeypatch, token, want)


_ALPHABET = "0123456789+-.eExX_ naifINFtyd\t"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=st.one_of(st.text(_ALPHABET, max_size=8), st.sampled_from([t for t, _ in TOKENS])))
def test_same_tokens_through_every_path_match_the_grammar(tmp_path, monkeypatch, token):
    _check(tmp_path, monkeypatch, token, reference(token))


# --- item 6: errors name the file, line and column; BOM; \r line ends ---------------


@pytest.mark.parametrize("text", ['"1",2\n3,\xff\n', "1,cat\n3,\xff\n"])
def test_invalid_utf8_names_file_line_and_column(tmp_path, text):
    p = tmp_path / "latin1.csv"
    p.write_bytes(text.encode("latin-1"))
    kw = {"labels": ["cat"]} if "cat" in text else {}
    with pytest.raises(
        CSVFormatError,
        match=r"line 2, column index 1: bytes b'\\xff' are "
        r"not valid UTF-8",
    ) as e:
        list(CSVRecordReader(paths=str(p), **kw).next_records(10))
    assert str(p) in str(e.value) and (e.value.line, e.value.column) == (2, 1)
    again = pickle.loads(pickle.dumps(e.value))  # as a worker process re-raises it
    assert (str(again), again.path, again.line, again.column) == (str(e.value), str(p), 2, 1)


@pytest.mark.parametrize("text", ["1,2\r3,4\r", '"1",2\r3,"4"\r', "1,2\r\n3,4\r", "1,2\r3,4"])
def test_bare_carriage_return_line_ends_are_read(tmp_path, monkeypatch, text):
    monkeypatch.setattr(csvmod, "_BLOCK", 3)  # "\r" at a block's end must wait for "\n"
    p = tmp_path / "mac.csv"
    p.write_bytes(text.encode())
    r = CSVRecordReader(paths=str(p))
    values, refs = r.next_records(10)
    np.testing.assert_array_equal(values, [[1, 2], [3, 4]])
    assert [m.position for m in refs.to_list()] == [0, 1]
    np.testing.assert_array_equal(r.load_from_metadata(refs.to_list()[1:]), [[3, 4]])


@pytest.mark.parametrize("line", [1, 2])
@pytest.mark.parametrize("quoted", [False, True])
def test_field_over_the_limit_is_refused_on_any_line(tmp_path, line, quoted):
    big = "1" * 131_073
    field = f'"{big}"' if quoted else big
    rows = ["1,2"] * (line - 1) + [f"{field},2", "3,4"]
    p = tmp_path / "long.csv"
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(
        CSVFormatError,
        match=rf"line {line}, column index 0: a field of "
        r"131073 bytes is longer than the 131072",
    ):
        CSVRecordReader(paths=str(p)).next_records(10)


def test_a_field_at_the_limit_is_read(tmp_path):
    p = tmp_path / "edge.csv"
    p.write_text("0" * 131_071 + "5,2\n")
    np.testing.assert_array_equal(CSVRecordReader(paths=str(p)).next_records(1)[0], [[5, 2]])


@pytest.mark.parametrize("skip", [0, 1])
def test_utf8_bom_is_stripped(tmp_path, skip):
    p = tmp_path / "bom.csv"
    p.write_text(("a,b\n" if skip else "") + "1,2\n3,4\n", encoding="utf-8-sig")
    r = CSVRecordReader(skip_lines=skip, paths=str(p))
    np.testing.assert_array_equal(r.next_records(5)[0], [[1, 2], [3, 4]])
    seq = CSVSequenceRecordReader(skip_lines=skip, paths=str(p)).next()
    np.testing.assert_array_equal(seq, [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    "text, what",
    [
        ('1,"2\n3,4\n', "not closed"),
        ('1,"2"x\n', "text follows its closing quote"),
    ],
)
def test_bad_quotes_name_line_and_column(tmp_path, text, what):
    p = tmp_path / "q.csv"
    p.write_text(text)
    with pytest.raises(CSVFormatError, match=rf"{p}: line 1, column index 1: .*{what}"):
        CSVRecordReader(paths=str(p)).next_records(5)


# --- item 7: quoted fields stay in the native parser ---------------------------------


def test_rfc4180_quotes_in_the_native_parser(tmp_path, monkeypatch):
    text = (
        '1,"2",cat\n'
        '" 3 ",4,"c""at"\n'  # blanks inside quotes, a doubled quote
        '5,6,"do,g"\n'  # a quoted delimiter
        '7,8,"li\nne"\n'  # a quoted line end: one record on two lines
        "9,10,dog\n"
    )
    labels = ["cat", 'c"at', "do,g", "li\nne", "dog"]
    for block in (1 << 22, 5):  # whole, and records split across blocks
        monkeypatch.setattr(csvmod, "_BLOCK", block)
        p = tmp_path / "q.csv"
        p.write_text(text)
        r = CSVRecordReader(paths=str(p), labels=labels)
        values, refs = r.next_records(10)
        np.testing.assert_array_equal(
            values, [[1, 2, 0], [3, 4, 1], [5, 6, 2], [7, 8, 3], [9, 10, 4]]
        )
        metas = refs.to_list()
        assert [m.position for m in metas] == [0, 1, 2, 3, 5]
        np.testing.assert_array_equal(r.load_from_metadata([metas[3]]), [[7, 8, 3]])
    assert r.num_columns() == 3


def test_column_count_found_after_long_blank_and_quoted_lines(tmp_path):
    # the first record starts after 100 KiB of blank lines and spans lines in quotes
    p = tmp_path / "late.csv"
    p.write_text("\n" * 100_000 + '1,2,"c,\nat"\n4,5,dog\n')
    r = CSVRecordReader(paths=str(p), labels=["dog", "c,\nat"])
    assert r.num_columns() == 3
    values, refs = r.next_records(5)
    np.testing.assert_array_equal(values, [[1, 2, 1], [4, 5, 0]])
    assert [m.position for m in refs.to_list()] == [100_000, 100_002]
