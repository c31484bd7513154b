"""Normalizer files: JSON, versioned, atomic, no clobbering, clear FormatError."""

import json
import os

import numpy as np
import pytest

from fastiter import DataSet, FormatError, MultiDataSet
from fastiter.preprocessing import (
    MultiNormalizerHybrid,
    MultiNormalizerMinMaxScaler,
    MultiNormalizerStandardize,
    NormalizerMinMaxScaler,
    NormalizerStandardize,
    load_normalizer,
)


def _ds(seed=0):
    rng = np.random.default_rng(seed)
    return DataSet(rng.normal(3, 2, (20, 3)), rng.normal(0, 5, (20, 2)))


def _mds(seed=0):
    rng = np.random.default_rng(seed)
    return MultiDataSet(
        [rng.normal(3, 2, (10, 3)), rng.uniform(0, 9, (10, 2, 4))], [rng.normal(0, 5, (10, 2))]
    )


def _same_transform(a, b, data):
    x, y = data.copy(), data.copy()
    a.pre_process(x)
    b.pre_process(y)
    return x == y


@pytest.mark.parametrize(
    "make",
    [
        lambda: NormalizerStandardize(),
        lambda: NormalizerMinMaxScaler(-1, 4),
    ],
)
@pytest.mark.parametrize("labels", [False, True])
def test_dataset_normalizer_round_trip(tmp_path, make, labels):
    norm = make()
    norm.fit_label(labels)
    norm.fit(_ds())
    path = tmp_path / "norm.json"
    norm.save(path)
    back = type(norm).load(path)
    assert type(back) is type(norm) and back.is_fit_label() == labels
    assert _same_transform(norm, back, _ds(1))
    assert load_normalizer(str(path)).is_fit()


def test_minmax_target_range_survives(tmp_path):
    norm = NormalizerMinMaxScaler(-3, 7)
    norm.fit(_ds())
    norm.save(tmp_path / "m.json")
    back = NormalizerMinMaxScaler.load(tmp_path / "m.json")
    assert (back.min_range, back.max_range) == (-3.0, 7.0)
    np.testing.assert_array_equal(back.get_max(), norm.get_max())


def test_standardize_statistics_exact_after_round_trip(tmp_path):
    norm = NormalizerStandardize()
    norm.fit(_ds())
    norm.save(tmp_path / "s.json")
    back = NormalizerStandardize.load(tmp_path / "s.json")
    np.testing.assert_array_equal(back.get_mean(), norm.get_mean())  # bit-exact floats
    np.testing.assert_array_equal(back.get_std(), norm.get_std())


@pytest.mark.parametrize(
    "make",
    [
        lambda: MultiNormalizerStandardize(),
        lambda: MultiNormalizerMinMaxScaler(2, 3),
        lambda: (
            MultiNormalizerHybrid()
            .standardize_all_inputs()
            .min_max_scale_input(1, -1, 1)
            .min_max_scale_output(0)
        ),
    ],
)
def test_multi_normalizer_round_trip(tmp_path, make):
    norm = make()
    if hasattr(norm, "fit_label"):
        norm.fit_label(True)
    norm.fit(_mds())
    norm.save(tmp_path / "m.json")
    back = type(norm).load(tmp_path / "m.json")
    assert _same_transform(norm, back, _mds(2))
    changed = _mds(2)
    back.pre_process(changed)
    assert changed != _mds(2)  # the loaded one really transforms


def test_file_is_json_with_version_and_no_pickle(tmp_path):
    norm = NormalizerStandardize()
    norm.fit(_ds())
    norm.save(tmp_path / "n.json")
    doc = json.loads((tmp_path / "n.json").read_text())
    assert doc["format"] == "fastiter.normalizer" and doc["version"] == 1
    assert doc["type"] == "NormalizerStandardize"
    assert b"\x80" not in (tmp_path / "n.json").read_bytes()  # no pickle protocol header


def test_no_clobber_unless_asked(tmp_path):
    norm = NormalizerStandardize()
    norm.fit(_ds())
    path = tmp_path / "n.json"
    path.write_text("keep me")
    with pytest.raises(FileExistsError):
        norm.save(path)
    assert path.read_text() == "keep me"
    norm.save(path, overwrite=True)
    assert NormalizerStandardize.load(path).is_fit()
    assert os.listdir(tmp_path) == ["n.json"]  # no temp file left behind


def test_save_before_fit_raises(tmp_path):
    with pytest.raises(RuntimeError, match="not fitted"):
        NormalizerStandardize().save(tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty
        b'{"format": "fastiter.normalizer", "vers',  # truncated
        b"\x89HDF\r\n\x1a\n\x00\x00",  # foreign binary
        b'{"hello": 1}',  # foreign JSON
        b"[1, 2, 3]",
        b'{"format": "fastiter.normalizer", "version": 99, "type": "NormalizerStandardize",'
        b' "state": {}}',  # newer version
        b'{"format": "fastiter.normalizer", "version": 1, "type": "Nope", "state": {}}',
        b'{"format": "fastiter.normalizer", "version": 1, "type": "NormalizerStandardize",'
        b' "state": {"fit_labels": false}}',  # fields missing
    ],
)
def test_bad_files_raise_format_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(FormatError):
        load_normalizer(path)


def test_truncated_real_file(tmp_path):
    norm = NormalizerStandardize()
    norm.fit(_ds())
    norm.save(tmp_path / "n.json")
    raw = (tmp_path / "n.json").read_bytes()
    (tmp_path / "t.json").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match="truncated"):
        NormalizerStandardize.load(tmp_path / "t.json")


def test_load_as_wrong_class_raises(tmp_path):
    norm = NormalizerMinMaxScaler()
    norm.fit(_ds())
    norm.save(tmp_path / "m.json")
    with pytest.raises(FormatError, match="not a NormalizerStandardize"):
        NormalizerStandardize.load(tmp_path / "m.json")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_normalizer(tmp_path / "absent.json")
