"""IDX files and MnistDataSetIterator on generated IDX files in MNIST's exact format."""

from __future__ import annotations

import gzip
import mmap
import struct

import numpy as np
import pytest

from fastiter import FormatError
from fastiter.dataset.order import epoch_permutation
from fastiter.datasets import DatasetNotFoundError, MnistDataSetIterator, read_idx, write_idx

TRAIN = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _write_mnist(folder, names, x, y, gz=True):
    suffix = ".gz" if gz else ""
    write_idx(folder / (names[0] + suffix), x)
    write_idx(folder / (names[1] + suffix), y)


def _mnist_header(n):
    """The bytes MNIST's image file starts with, written by hand from the IDX spec."""
    return b"\x00\x00\x08\x03" + struct.pack(">III", n, 28, 28)


@pytest.fixture
def mnist_dir(tmp_path, digits):
    x, y = digits
    _write_mnist(tmp_path, TRAIN, x, y, gz=True)
    _write_mnist(tmp_path, TEST, x[:40][::-1].copy(), y[:40][::-1].copy(), gz=False)
    return tmp_path


# --- IDX --------------------------------------------------------------------------
def test_idx_bytes_match_the_spec(tmp_path, digits):
    x, _ = digits
    write_idx(tmp_path / "a.idx", x)
    raw = (tmp_path / "a.idx").read_bytes()
    assert raw[:16] == _mnist_header(100) and raw[16:] == x.tobytes()
    write_idx(tmp_path / "a.idx.gz", x)
    assert gzip.decompress((tmp_path / "a.idx.gz").read_bytes()) == raw


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / "r.gz", arr)
    back = read_idx(tmp_path / "r.gz")
    assert back.dtype == np.dtype(dtype) and np.array_equal(back, arr)


def test_idx_rejects_foreign_and_truncated(tmp_path):
    (tmp_path / "f").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(FormatError, match="not an IDX"):
        read_idx(tmp_path / "f")
    (tmp_path / "t").write_bytes(_mnist_header(2) + bytes(100))
    with pytest.raises(FormatError, match="needs 1568"):
        read_idx(tmp_path / "t")
    with pytest.raises(TypeError, match="dtype"):
        write_idx(tmp_path / "c", np.zeros(2, np.complex64))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.float64])
def test_plain_byte_files_are_mapped_read_only_others_copied(tmp_path, dtype):
    arr = (np.arange(60).reshape(5, 12) - 7).astype(dtype)
    write_idx(tmp_path / "p", arr)
    mapped, copied = read_idx(tmp_path / "p"), read_idx(tmp_path / "p", use_mmap=False)
    for back in (mapped, copied):
        assert back.dtype == np.dtype(dtype) and back.dtype.isnative
        np.testing.assert_array_equal(back, arr)
    assert copied.flags.writeable and not _is_mapped(copied)
    # only byte files are mapped (wider types are byte-swapped into a new array)
    assert _is_mapped(mapped) == (np.dtype(dtype).itemsize == 1) != mapped.flags.writeable


def _is_mapped(arr):
    while isinstance(arr, (np.ndarray, memoryview)):
        arr = arr.base if isinstance(arr, np.ndarray) else arr.obj
    return isinstance(arr, mmap.mmap)


def test_empty_plain_and_gzip_files(tmp_path):
    for name in ("e", "e.gz"):
        write_idx(tmp_path / name, np.zeros((0, 28, 28), np.uint8))
        assert read_idx(tmp_path / name).shape == (0, 28, 28)


def test_gzip_size_mismatch_and_damage_are_format_errors(tmp_path):
    good = _mnist_header(2) + bytes(range(256)) * 6 + bytes(32)  # 2 * 784 data bytes
    (tmp_path / "short.gz").write_bytes(gzip.compress(good[:-10]))
    with pytest.raises(FormatError, match="holds 1558 data bytes.*needs 1568"):
        read_idx(tmp_path / "short.gz")
    (tmp_path / "long.gz").write_bytes(gzip.compress(good + bytes(70000)))
    with pytest.raises(FormatError, match="holds 71568 data bytes.*needs 1568"):
        read_idx(tmp_path / "long.gz")
    (tmp_path / "huge.gz").write_bytes(
        gzip.compress(b"\x00\x00\x08\x03" + struct.pack(">III", 2**32 - 1, 2**32 - 1, 2**32 - 1))
    )
    with pytest.raises(FormatError, match="huge.gz"):
        read_idx(tmp_path / "huge.gz")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(good)[:-20])
    with pytest.raises(FormatError, match="damaged gzip"):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "head.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x03\x00"))
    with pytest.raises(FormatError, match="truncated inside its IDX header"):
        read_idx(tmp_path / "head.gz")


# --- MNIST ------------------------------------------------------------------------
def test_gz_files_are_extracted_once_and_the_copies_preferred(tmp_path, digits):
    x, y = digits
    _write_mnist(tmp_path, TRAIN, x, y, gz=True)
    first = MnistDataSetIterator(50, 100, data_dir=tmp_path, download=False).next()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([*TRAIN, *(n + ".gz" for n in TRAIN)])  # no temp files left
    np.testing.assert_array_equal(read_idx(tmp_path / TRAIN[0]), x)
    # later opens read the plain copies: the .gz may even be gone
    for n in TRAIN:
        (tmp_path / (n + ".gz")).unlink()
    again = MnistDataSetIterator(50, 100, data_dir=tmp_path, download=False).next()
    np.testing.assert_array_equal(again.features, first.features)
    np.testing.assert_array_equal(again.labels, first.labels)


def test_damaged_gz_is_not_extracted_and_raises(tmp_path, digits):
    x, y = digits
    _write_mnist(tmp_path, TRAIN, x, y, gz=True)
    gz = tmp_path / (TRAIN[0] + ".gz")
    gz.write_bytes(gz.read_bytes()[:-30])
    with pytest.raises(FormatError, match="damaged gzip"):
        MnistDataSetIterator(50, 100, data_dir=tmp_path, download=False)
    assert not (tmp_path / TRAIN[0]).exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_unshuffled_batches_are_the_file_rows_scaled(mnist_dir, digits):
    x, y = digits
    it = MnistDataSetIterator(32, 100, data_dir=mnist_dir, download=False)
    batches = list(it)
    assert [b.features.shape for b in batches] == [(32, 784)] * 3 + [(4, 784)]
    feats = np.concatenate([b.features for b in batches])
    labels = np.concatenate([b.labels for b in batches])
    assert feats.dtype == np.float32 and labels.dtype == np.float32
    np.testing.assert_allclose(feats, x.reshape(100, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(labels, np.eye(10)[y])
    assert batches[0].label_names == [str(d) for d in range(10)]


def test_binarize_is_threshold_30(mnist_dir, digits):
    x, _ = digits
    ds = MnistDataSetIterator(100, 100, binarize=True, data_dir=mnist_dir).next()
    np.testing.assert_array_equal(ds.features, (x.reshape(100, -1) > 30).astype(np.float32))


def test_image_layout_option(mnist_dir, digits):
    x, _ = digits
    ds = MnistDataSetIterator(10, 10, flatten=False, data_dir=mnist_dir).next()
    assert ds.features.shape == (10, 1, 28, 28)
    np.testing.assert_allclose(ds.features[:, 0], x[:10] / 255.0, rtol=1e-6)


def test_train_and_test_read_their_own_files(mnist_dir, digits):
    x, y = digits
    test = MnistDataSetIterator(64, train=False, shuffle=False, data_dir=mnist_dir)
    ds = test.next()
    assert test.num_examples() == 40 and ds.features.shape == (40, 784)
    np.testing.assert_array_equal(ds.labels.argmax(1), y[:40][::-1])


def test_shuffle_order_follows_the_seed(mnist_dir, digits):
    x, y = digits
    a = MnistDataSetIterator(25, True, 99, data_dir=mnist_dir)  # DL4J's (batch, train, seed)
    assert a._shuffle and a._seed == 99
    got = np.concatenate([b.labels.argmax(1) for b in a])
    order = epoch_permutation(100, 99, 0)
    np.testing.assert_array_equal(got, y[order])
    b = MnistDataSetIterator(25, train=True, seed=99, data_dir=mnist_dir)
    np.testing.assert_allclose(
        np.concatenate([d.features for d in b]), x.reshape(100, -1)[order] / 255.0, rtol=1e-6
    )
    c = MnistDataSetIterator(25, train=True, seed=100, data_dir=mnist_dir)
    assert not np.array_equal(np.concatenate([d.labels.argmax(1) for d in c]), got)


def test_subset_reset_reshuffles_the_same_subset(mnist_dir, digits):
    x, _ = digits
    rows = x.reshape(100, -1)

    def epoch_rows(it):
        feats = np.concatenate([d.features for d in it])
        keys = (feats * 255).round().astype(np.uint8)
        return [np.flatnonzero((rows == k).all(1))[0] for k in keys]

    it = MnistDataSetIterator(8, 30, shuffle=True, seed=5, data_dir=mnist_dir)
    first = epoch_rows(it)
    it.reset()
    second = epoch_rows(it)
    assert sorted(first) == sorted(second) and first != second
    assert len(set(first)) == 30 and sorted(first) != list(range(30))  # a random subset


def _drain(it):
    out = []
    while it.has_next():
        out.append(it.next().features)
    return out


def test_batch_at_and_state_dict_resume(mnist_dir):
    def make():
        return MnistDataSetIterator(16, train=True, seed=3, data_dir=mnist_dir)

    it = make()
    assert it.indexable and it.num_batches() == 7 and len(it) == 7
    it.reset()  # epoch 1
    ref = _drain(it)
    for i in (0, 3, 6):
        np.testing.assert_array_equal(it.batch_at(i).features, ref[i])
    run = make()
    run.reset()
    run.next(), run.next()
    fresh = make()
    fresh.load_state_dict(run.state_dict())
    rest = _drain(fresh)
    assert len(rest) == 5 and all(np.array_equal(a, b) for a, b in zip(rest, ref[2:]))


def test_next_num_takes_that_many(mnist_dir):
    it = MnistDataSetIterator(10, 100, data_dir=mnist_dir)
    assert len(it.next(7)) == 7 and len(it.next()) == 10
    assert it.state_dict()["cursor"] == 17


def test_bad_arguments_are_named(mnist_dir):
    with pytest.raises(ValueError, match="batch must be >= 1, got 0"):
        MnistDataSetIterator(0, data_dir=mnist_dir)
    with pytest.raises(TypeError, match="num_examples"):
        MnistDataSetIterator(10, 2.5, data_dir=mnist_dir)
    with pytest.raises(TypeError, match="seed"):
        MnistDataSetIterator(10, train=True, seed="x", data_dir=mnist_dir)


def test_mismatched_counts_raise_format_error(tmp_path, digits):
    x, y = digits
    _write_mnist(tmp_path, TRAIN, x, y[:50])
    with pytest.raises(FormatError, match="100 images but .* 50 labels"):
        MnistDataSetIterator(10, data_dir=tmp_path)


def test_missing_files_offline_name_the_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        MnistDataSetIterator(10, data_dir=tmp_path / "mnist", download=False)
    msg = str(info.value)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "mnist") in msg


def test_data_home_is_used(monkeypatch, tmp_path, digits):
    x, y = digits
    (tmp_path / "mnist").mkdir()
    _write_mnist(tmp_path / "mnist", TEST, x, y)
    monkeypatch.setenv("FASTITER_DATA_HOME", str(tmp_path))
    assert MnistDataSetIterator(50, 50, train=False, download=False).num_examples() == 50


def test_shards_partition_the_epoch(mnist_dir):
    it = MnistDataSetIterator(16, train=True, seed=8, data_dir=mnist_dir)
    whole = [it.batch_at(i).labels for i in range(it.num_batches())]
    parts = [[ds.labels for ds in it.shard(rank, 3)] for rank in range(3)]
    assert sum(len(p) for p in parts) == len(whole) == 7
    for rank, part in enumerate(parts):
        for k, labels in enumerate(part):
            np.testing.assert_array_equal(labels, whole[rank + 3 * k])


def test_pre_processor_edits_only_the_returned_batch(mnist_dir, digits):
    class Zero:
        def pre_process(self, ds):
            ds.features[:] = 0

    it = MnistDataSetIterator(10, 20, data_dir=mnist_dir)
    it.pre_processor = Zero()
    assert it.next().features.max() == 0
    it.pre_processor = None
    np.testing.assert_allclose(
        it.next().features, digits[0][10:20].reshape(10, -1) / 255.0, rtol=1e-6
    )


def test_state_from_another_seed_restores_that_run(mnist_dir):
    run = MnistDataSetIterator(16, 50, shuffle=True, seed=21, data_dir=mnist_dir)
    run.reset()
    run.next()
    state = run.state_dict()
    want = _drain(run)
    other = MnistDataSetIterator(16, 50, shuffle=True, seed=4, data_dir=mnist_dir)
    other.load_state_dict(state)
    got = _drain(other)
    assert len(got) == len(want) == 3
    assert all(np.array_equal(a, b) for a, b in zip(got, want))


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("use_mmap", [False, True])
@pytest.mark.parametrize(
    "code,dims",
    [
        (0x08, (3340214413, 2761311370, 2)),  # 2**64 + 4
        (0x0C, (2**32 - 1, 2**32 - 1, 2**32 - 1, 7)),
        (0x0E, (2**31, 2**31, 4)),
    ],
)
def test_idx_header_whose_size_overflows_int64_is_refused_with_the_file(
    tmp_path, gz, use_mmap, code, dims
):
    # issue 17.8: the dimension product wrapped around int64 (2**64 + 4 became 4), so a
    # 4-byte file passed the size check and numpy failed later without the file name
    raw = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + bytes(4)
    name = "wrap.idx.gz" if gz else "wrap.idx"
    (tmp_path / name).write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(FormatError, match=rf"{name}.*{dims[0]}.*bytes"):
        read_idx(tmp_path / name, use_mmap=use_mmap)
