"""EMNIST (transposed IDX, NIST's zip, 1-based letters) and CIFAR-10 binary batches."""

from __future__ import annotations

import tarfile
import zipfile

import numpy as np
import pytest

from fastiter import FormatError
from fastiter.datasets import (
    CifarDataSetIterator,
    DatasetNotFoundError,
    EmnistDataSetIterator,
    EMnistSet,
    read_cifar_batch,
    write_idx,
)


# --- EMNIST -------------------------------------------------------------------------
def _emnist_files(folder, key, part, x, y):
    """Write ``x`` as EMNIST stores it: each image transposed (column-major)."""
    stem = folder / f"emnist-{key}-{part}"
    write_idx(f"{stem}-images-idx3-ubyte.gz", np.ascontiguousarray(x.transpose(0, 2, 1)))
    write_idx(f"{stem}-labels-idx1-ubyte.gz", y)


def test_emnist_images_are_transposed_back(tmp_path, digits):
    x, y = digits
    _emnist_files(tmp_path, "digits", "train", x, y)
    it = EmnistDataSetIterator("digits", 100, train=True, shuffle=False, data_dir=tmp_path)
    ds = it.next()
    np.testing.assert_allclose(ds.features, x.reshape(100, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.labels.argmax(1), y)
    assert it.get_labels() == list("0123456789") and ds.label_names == it.get_labels()


def test_emnist_letters_are_one_based_in_the_files(tmp_path, digits):
    x, _ = digits
    y = (np.arange(100) % 26 + 1).astype(np.uint8)  # files hold 1..26
    _emnist_files(tmp_path, "letters", "test", x, y)
    it = EmnistDataSetIterator(
        EMnistSet.LETTERS, 100, train=False, shuffle=False, data_dir=tmp_path
    )
    ds = it.next()
    assert ds.labels.shape == (100, 26)
    np.testing.assert_array_equal(ds.labels.argmax(1), y - 1)
    assert [it.get_labels()[i] for i in ds.labels.argmax(1)[:3]] == ["A", "B", "C"]


def test_emnist_complete_is_byclass_and_shuffles_by_seed(tmp_path, digits):
    x, _ = digits
    y = (np.arange(100) % 62).astype(np.uint8)
    _emnist_files(tmp_path, "byclass", "train", x, y)
    a = EmnistDataSetIterator("complete", 10, True, 42, data_dir=tmp_path)
    b = EmnistDataSetIterator("byclass", 10, True, 42, data_dir=tmp_path)
    la = np.concatenate([d.labels.argmax(1) for d in a])
    lb = np.concatenate([d.labels.argmax(1) for d in b])
    np.testing.assert_array_equal(la, lb)
    assert sorted(la) == sorted(y) and not np.array_equal(la, y)
    assert a.num_labels() == 62 and a.get_labels()[36] == "a"


@pytest.mark.parametrize(
    "name,classes,train,test,balanced",
    [
        ("complete", 62, 697_932, 116_323, False),
        ("merge", 47, 697_932, 116_323, False),
        ("balanced", 47, 112_800, 18_800, True),
        ("letters", 26, 124_800, 20_800, False),
        ("digits", 10, 240_000, 40_000, True),
        ("mnist", 10, 60_000, 10_000, True),
    ],
)
def test_emnist_set_facts(name, classes, train, test, balanced):
    cls = EmnistDataSetIterator
    assert cls.num_labels(name) == classes == len(cls.get_labels_for(name))
    assert len(set(cls.get_labels_for(name))) == classes
    assert (cls.num_examples_train(name), cls.num_examples_test(name)) == (train, test)
    assert cls.is_balanced(name) is balanced


def test_emnist_merged_classes_keep_only_distinct_lowercase():
    labels = EmnistDataSetIterator.get_labels_for("merge")
    assert "".join(labels[36:]) == "abdefghnqrt"
    assert "c" not in labels and "o" not in labels


def test_emnist_extracts_from_nist_zip(tmp_path, digits):
    x, y = digits
    staging = tmp_path / "staging"
    staging.mkdir()
    _emnist_files(staging, "mnist", "test", x, y)
    with zipfile.ZipFile(tmp_path / "gzip.zip", "w") as zf:
        for f in staging.iterdir():
            zf.write(f, f"gzip/{f.name}")
    it = EmnistDataSetIterator(
        "mnist", 50, train=False, shuffle=False, data_dir=tmp_path, download=False
    )
    np.testing.assert_array_equal(it.next().labels.argmax(1), y[:50])


def test_emnist_bad_set_and_offline(tmp_path):
    with pytest.raises(ValueError, match="set must be one of"):
        EmnistDataSetIterator("kanji", 10, data_dir=tmp_path)
    with pytest.raises(DatasetNotFoundError) as info:
        EmnistDataSetIterator("balanced", 10, data_dir=tmp_path, download=False)
    msg = str(info.value)
    assert "emnist-balanced-train-images-idx3-ubyte.gz" in msg and "gzip.zip" in msg
    assert str(tmp_path) in msg


# --- CIFAR-10 ---------------------------------------------------------------------
def _cifar_records(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(1, 256, (n, 3, 32, 32), dtype=np.uint8)
    return images, labels


def _write_cifar(path, images, labels):
    with open(path, "wb") as f:
        for img, lab in zip(images, labels):
            f.write(bytes([lab]))
            f.write(img[0].tobytes() + img[1].tobytes() + img[2].tobytes())  # R, G, B planes


@pytest.fixture
def cifar_dir(tmp_path):
    sub = tmp_path / "cifar-10-batches-bin"
    sub.mkdir()
    parts = [_cifar_records(7, i) for i in range(6)]
    for i, (img, lab) in enumerate(parts[:5], start=1):
        _write_cifar(sub / f"data_batch_{i}.bin", img, lab)
    _write_cifar(sub / "test_batch.bin", *parts[5])
    return tmp_path, parts


def test_cifar_train_concatenates_the_five_batches(cifar_dir):
    folder, parts = cifar_dir
    it = CifarDataSetIterator(8, train=True, shuffle=False, data_dir=folder)
    feats = np.concatenate([d.features for d in it])
    assert feats.shape == (35, 3, 32, 32) and feats.dtype == np.float32
    want = np.concatenate([p[0] for p in parts[:5]]).astype(np.float32)
    np.testing.assert_array_equal(feats, want)  # raw 0..255, channels first
    it.reset()
    labels = np.concatenate([d.labels.argmax(1) for d in it])
    np.testing.assert_array_equal(labels, np.concatenate([p[1] for p in parts[:5]]))
    assert it.get_labels()[:3] == ["airplane", "automobile", "bird"]


def test_cifar_test_split_scaled_and_shuffled(cifar_dir):
    folder, parts = cifar_dir
    img, lab = parts[5]
    a = CifarDataSetIterator(7, train=False, seed=1, pixel_mode="scale", data_dir=folder)
    ds = a.next()
    order = [
        int(np.flatnonzero((img.reshape(7, -1) == row).all(1))[0])
        for row in (ds.features.reshape(7, -1) * 255).round().astype(np.uint8)
    ]
    assert sorted(order) == list(range(7))
    np.testing.assert_array_equal(ds.labels.argmax(1), lab[order])
    assert ds.features.max() <= 1.0


def test_cifar_from_archive_and_bad_files(tmp_path, cifar_dir):
    folder, parts = cifar_dir
    with tarfile.open(tmp_path / "cifar-10-binary.tar.gz", "w:gz") as tf:
        tf.add(folder / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    other = tmp_path / "other"
    other.mkdir()
    (other / "cifar-10-binary.tar.gz").write_bytes(
        (tmp_path / "cifar-10-binary.tar.gz").read_bytes()
    )
    it = CifarDataSetIterator(7, train=False, shuffle=False, data_dir=other, download=False)
    np.testing.assert_array_equal(it.next().labels.argmax(1), parts[5][1])
    (tmp_path / "bad.bin").write_bytes(bytes(3073 + 5))
    with pytest.raises(FormatError, match="whole number"):
        read_cifar_batch(tmp_path / "bad.bin")


def test_cifar_offline_names_archive(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="cifar-10-binary.tar.gz"):
        CifarDataSetIterator(8, data_dir=tmp_path, download=False)
