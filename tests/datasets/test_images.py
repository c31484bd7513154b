"""Tiny ImageNet and LFW on generated JPEG/PNG folders in their published layouts."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PIL.Image")

from PIL import Image

from fastiter import LFWDataSetIterator, TinyImageNetDataSetIterator
from fastiter.datasets import DatasetNotFoundError, ImageFolderIterator

WNIDS = ["n01443537", "n01629819", "n01641577"]


def _colour(k):
    return (40 + 60 * k, 200 - 50 * k, 90 + 30 * k)


@pytest.fixture
def tiny_dir(tmp_path):
    root = tmp_path / "tiny-imagenet-200"
    (root / "val" / "images").mkdir(parents=True)
    (root / "wnids.txt").write_text("\n".join(reversed(WNIDS)) + "\n")  # order irrelevant
    for k, w in enumerate(WNIDS):
        d = root / "train" / w / "images"
        d.mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (64, 64), _colour(k)).save(d / f"{w}_{i}.JPEG", quality=95)
        (root / "train" / w / f"{w}_boxes.txt").write_text("not an image\n")
    notes = []
    for i in range(5):
        k = (i * 2) % 3
        Image.new("RGB", (64, 64), _colour(k)).save(root / "val" / "images" / f"val_{i}.JPEG")
        notes.append(f"val_{i}.JPEG\t{WNIDS[k]}\t0\t0\t63\t63")
    (root / "val" / "val_annotations.txt").write_text("\n".join(notes) + "\n")
    return tmp_path


def _class_of(features):
    """Which generated colour each image is (JPEG is close, not exact)."""
    means = features.mean(axis=(2, 3))
    cols = np.array([_colour(k) for k in range(3)], np.float32)
    return np.abs(means[:, None, :] - cols[None]).sum(-1).argmin(1)


def test_tiny_train_shapes_and_folder_labels(tiny_dir):
    it = TinyImageNetDataSetIterator(5, train=True, shuffle=False, data_dir=tiny_dir)
    batches = list(it)
    assert [b.features.shape for b in batches] == [(5, 3, 64, 64)] * 2 + [(2, 3, 64, 64)]
    feats = np.concatenate([b.features for b in batches])
    labels = np.concatenate([b.labels for b in batches])
    assert feats.dtype == np.float32 and labels.shape == (12, 3)
    assert it.get_labels() == sorted(WNIDS)
    np.testing.assert_array_equal(labels.argmax(1), _class_of(feats))
    np.testing.assert_array_equal(labels.argmax(1), np.repeat([0, 1, 2], 4))
    assert feats.min() >= 0 and feats.max() > 1  # raw 0..255, as DL4J's record reader


def test_tiny_val_uses_annotations(tiny_dir):
    it = TinyImageNetDataSetIterator(10, train=False, shuffle=False, data_dir=tiny_dir)
    ds = it.next()
    np.testing.assert_array_equal(ds.labels.argmax(1), [(i * 2) % 3 for i in range(5)])
    np.testing.assert_array_equal(ds.labels.argmax(1), _class_of(ds.features))


def test_tiny_seeded_order_and_parallel_batch_at(tiny_dir):
    a = TinyImageNetDataSetIterator(4, seed=9, data_dir=tiny_dir)
    b = TinyImageNetDataSetIterator(4, seed=9, data_dir=tiny_dir)
    la = np.concatenate([d.labels.argmax(1) for d in a])
    np.testing.assert_array_equal(la, np.concatenate([d.labels.argmax(1) for d in b]))
    assert sorted(la) == sorted(np.repeat([0, 1, 2], 4)) and not (np.diff(la) >= 0).all()
    results = {}

    def work(i):
        results[i] = a.batch_at(i).features

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):  # same epoch: the threads saw what a serial call sees
        np.testing.assert_array_equal(results[i], a.batch_at(i).features)
    b.reset()
    a.reset()
    np.testing.assert_array_equal(a.next().labels, b.next().labels)


def test_tiny_offline_names_archive(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="tiny-imagenet-200.zip"):
        TinyImageNetDataSetIterator(4, data_dir=tmp_path, download=False)


@pytest.fixture
def lfw_dir(tmp_path):
    rng = np.random.default_rng(5)
    people = {"Aaron_Peirsol": 3, "Abba_Eban": 1, "Zico": 4}
    pixels = {}
    for name, count in people.items():
        (tmp_path / "lfw" / name).mkdir(parents=True)
        for i in range(1, count + 1):
            arr = rng.integers(0, 256, (20, 16, 3), dtype=np.uint8)
            path = tmp_path / "lfw" / name / f"{name}_{i:04d}.png"
            Image.fromarray(arr).save(path)  # PNG: lossless, so pixels compare exactly
            pixels[str(path)] = (arr, name)
    return tmp_path, pixels


def test_lfw_pixels_labels_and_img_dim(lfw_dir):
    folder, pixels = lfw_dir
    it = LFWDataSetIterator(8, img_dim=(20, 16, 3), data_dir=folder)
    ds = it.next()
    assert ds.features.shape == (8, 3, 20, 16) and it.get_labels() == [
        "Aaron_Peirsol",
        "Abba_Eban",
        "Zico",
    ]
    for row, lab, path in zip(ds.features, ds.labels.argmax(1), it.files()[:8]):
        arr, name = pixels[path]
        np.testing.assert_array_equal(row, arr.transpose(2, 0, 1).astype(np.float32))
        assert it.get_labels()[lab] == name


def test_lfw_resize_grey_and_split(lfw_dir):
    folder, _ = lfw_dir
    grey = LFWDataSetIterator(8, img_dim=(10, 12, 1), data_dir=folder).next()
    assert grey.features.shape == (8, 1, 10, 12)
    kw = dict(num_examples=8, img_dim=(20, 16, 3), split_train_test=0.75, seed=3, data_dir=folder)
    train = LFWDataSetIterator(4, train=True, **kw)
    test = LFWDataSetIterator(4, train=False, **kw)
    assert train.num_examples() == 6 and test.num_examples() == 2
    assert not set(train.files()) & set(test.files())
    other = LFWDataSetIterator(4, train=True, **{**kw, "seed": 4})
    assert other.files() != train.files()


def test_lfw_subset_folder_and_arguments(lfw_dir, tmp_path):
    folder, _ = lfw_dir
    (folder / "lfw").rename(folder / "lfw-a")
    it = LFWDataSetIterator(4, use_subset=True, img_dim=(20, 16, 3), data_dir=folder)
    assert it.num_examples() == 8
    with pytest.raises(ValueError, match="split_train_test"):
        LFWDataSetIterator(4, split_train_test=0, data_dir=folder)
    with pytest.raises(ValueError, match="img_dim"):
        ImageFolderIterator(2, [], [], ["a"], (8, 8, 2))
    with pytest.raises(DatasetNotFoundError, match="lfw.tgz"):
        LFWDataSetIterator(4, data_dir=tmp_path / "empty", download=False)
