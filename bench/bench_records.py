"""Record-reader benchmarks: CSV to classification batches, and sequence files to aligned,
masked batches, each beside its peer and an I/O ceiling in the same run.

Sizes follow FASTITER_BENCH_RECORDS_FRACTION (1.0 = the issue's sizes: 10^6 rows x 20 columns and
10,000 sequences of 1..200 steps).  Without it, a real run uses 1.0 and a smoke run
(``--benchmark-disable``) uses 0.01 so that it stays fast.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from fastiter import _env, kernels
from fastiter.records import (
    CSVRecordReader,
    CSVSequenceRecordReader,
    RecordReaderDataSetIterator,
    SequenceRecordReaderDataSetIterator,
)
from fastiter.records.base import resolve_paths

ROWS, COLS, CLASSES, BATCH = 1_000_000, 20, 10, 256
SEQS, MAX_T, SEQ_F, SEQ_BATCH = 10_000, 200, 8, 64


@pytest.fixture(scope="session")
def scale(request):
    env = _env.get("FASTITER_BENCH_RECORDS_FRACTION")
    if env is not None:
        return env
    return 0.01 if request.config.getoption("benchmark_disable", False) else 1.0


@pytest.fixture(scope="session")
def numeric_csv(tmp_path_factory, scale):
    """ROWS x COLS: 19 float features, then an integer class label."""
    rng = np.random.default_rng(11)
    n = max(int(ROWS * scale), 1000)
    path = tmp_path_factory.mktemp("records") / "numeric.csv"
    with open(path, "w") as f:
        for lo in range(0, n, 100_000):
            k = min(100_000, n - lo)
            x = rng.normal(size=(k, COLS - 1)).round(5) + 0.5
            y = rng.integers(0, CLASSES, k)
            body = np.char.mod("%.5f", x)
            f.write("\n".join(",".join(r) + f",{c}" for r, c in zip(body.tolist(), y)))
            f.write("\n")
    return str(path), n


@pytest.fixture(scope="session")
def sequence_files(tmp_path_factory, scale):
    """SEQS files of 1..MAX_T steps: SEQ_F float features, then a class label."""
    rng = np.random.default_rng(12)
    n = max(int(SEQS * scale), 64)
    folder = tmp_path_factory.mktemp("sequences")
    for i in range(n):
        t = int(rng.integers(1, MAX_T + 1))
        x = np.char.mod("%.4f", rng.normal(size=(t, SEQ_F)) + 1.0).tolist()
        y = rng.integers(0, CLASSES, t)
        (folder / f"seq_{i}.csv").write_text(
            "\n".join(",".join(r) + f",{c}" for r, c in zip(x, y)) + "\n"
        )
    return str(folder / "seq_*.csv"), n


# --- numeric CSV -> classification DataSets of 256 ---------------------------------------
def test_csv_batches_fastiter(benchmark, numeric_csv):
    path, n = numeric_csv
    benchmark.group = "csv -> batches of 256"

    def run():
        it = RecordReaderDataSetIterator(
            CSVRecordReader(paths=path), BATCH, label_index=COLS - 1, num_classes=CLASSES
        )
        return sum(len(ds) for ds in it)

    assert benchmark.pedantic(run, rounds=3, iterations=1) == n


def test_csv_batches_pandas_eye_slicing(benchmark, numeric_csv):
    pd = pytest.importorskip("pandas")
    path, n = numeric_csv
    benchmark.group = "csv -> batches of 256"
    eye = np.eye(CLASSES, dtype=np.float32)

    def run():
        a = pd.read_csv(path, header=None, engine="c").to_numpy(np.float32)
        x, y = a[:, : COLS - 1], a[:, COLS - 1].astype(np.int64)
        count = 0
        for lo in range(0, len(a), BATCH):
            feats, labels = x[lo : lo + BATCH], eye[y[lo : lo + BATCH]]
            count += len(feats) + 0 * len(labels)
        return count

    assert benchmark.pedantic(run, rounds=3, iterations=1) == n


def test_csv_ceiling_read_bytes(benchmark, numeric_csv):
    path, _ = numeric_csv
    benchmark.group = "csv -> batches of 256"

    def run():
        with open(path, "rb") as f:
            return len(f.read())

    assert benchmark.pedantic(run, rounds=3, iterations=1) > 0


# --- sequence files -> aligned, masked batches --------------------------------------------
def test_sequences_fastiter(benchmark, sequence_files):
    if not hasattr(kernels, "pad_sequences"):
        pytest.skip("needs fastiter.kernels.pad_sequences (core issue)")
    pattern, n = sequence_files
    benchmark.group = "sequence csv files -> masked batches"

    def run():
        it = SequenceRecordReaderDataSetIterator(
            CSVSequenceRecordReader(paths=pattern),
            None,
            SEQ_BATCH,
            num_classes=CLASSES,
            label_index=SEQ_F,
        )
        return sum(len(ds) for ds in it)

    assert benchmark.pedantic(run, rounds=3, iterations=1) == n


def _python_batch(paths):
    seqs = []
    for p in paths:
        with open(p, newline="") as f:
            seqs.append([[float(v) for v in row] for row in csv.reader(f)])
    t = max(len(s) for s in seqs)
    feats = np.zeros((len(seqs), SEQ_F, t), np.float32)
    labels = np.zeros((len(seqs), CLASSES, t), np.float32)
    mask = np.zeros((len(seqs), t), np.float32)
    for i, s in enumerate(seqs):
        for step, row in enumerate(s):
            feats[i, :, step] = row[:SEQ_F]
            labels[i, int(row[SEQ_F]), step] = 1
            mask[i, step] = 1
    return feats, labels, mask


def test_sequences_csv_module_python_loop(benchmark, sequence_files):
    pattern, n = sequence_files
    benchmark.group = "sequence csv files -> masked batches"
    paths = resolve_paths(pattern)

    def run():
        return sum(
            len(_python_batch(paths[lo : lo + SEQ_BATCH])[0])
            for lo in range(0, len(paths), SEQ_BATCH)
        )

    assert benchmark.pedantic(run, rounds=3, iterations=1) == n


def test_sequences_ceiling_read_files(benchmark, sequence_files):
    pattern, _ = sequence_files
    benchmark.group = "sequence csv files -> masked batches"
    paths = resolve_paths(pattern)

    def run():
        total = 0
        for p in paths:
            with open(p, "rb") as f:
                total += len(f.read())
        return total

    assert benchmark.pedantic(run, rounds=3, iterations=1) > 0


# --- a CSV with one quoted field (issue 17 item 7) ----------------------------------------
QUOTED_ROWS = 500_000


@pytest.fixture(scope="session")
def one_quoted_csv(tmp_path_factory, scale):
    """QUOTED_ROWS x 2 small integers; the very first field is quoted.  Before fastiter
    kept quoted fields in its C parser, that one quote sent the whole file through
    Python's csv module."""
    n = max(int(QUOTED_ROWS * scale), 1000)
    path = tmp_path_factory.mktemp("records") / "one_quoted.csv"
    i = np.arange(n)
    body = "\n".join(f"{a},{b}" for a, b in zip(i.tolist(), (i * 7 % 1000).tolist()))
    path.write_text('"' + body.replace(",", '",', 1) + "\n")
    return str(path), n


def test_csv_one_quoted_field_fastiter(benchmark, one_quoted_csv):
    path, n = one_quoted_csv
    benchmark.group = "csv with one quoted field -> float64 array"

    def run():
        return len(CSVRecordReader(paths=path).next_records(n + 1)[0])

    assert benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1) == n


def test_csv_one_quoted_field_pandas(benchmark, one_quoted_csv):
    pd = pytest.importorskip("pandas")
    path, n = one_quoted_csv
    benchmark.group = "csv with one quoted field -> float64 array"

    def run():
        return len(pd.read_csv(path, header=None, engine="c").to_numpy(np.float64))

    assert benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1) == n


def test_csv_one_quoted_field_ceiling_read_bytes(benchmark, one_quoted_csv):
    path, _ = one_quoted_csv
    benchmark.group = "csv with one quoted field -> float64 array"

    def run():
        with open(path, "rb") as f:
            return len(f.read())

    assert benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1) > 0
