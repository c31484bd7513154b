"""Image pre-processors, pinned to DL4J's constants and checked against slow references."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import ArrayDataSetIterator, DataSet
from fastiter.preprocessing import (
    VGG_MEAN_OFFSET_BGR,
    CropAndResizeDataSetPreProcessor,
    ImageFlatteningDataSetPreProcessor,
    ImagePreProcessingScaler,
    PermuteDataSetPreProcessor,
    RGBtoGrayscaleDataSetPreProcessor,
    VGG16ImagePreProcessor,
)


def _images(shape=(3, 3, 5, 4), seed=0, dtype=np.float64):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(dtype)


# --- ImagePreProcessingScaler ---------------------------------------------------------
@pytest.mark.parametrize("lo, hi, bits", [(0, 1, 8), (-1, 1, 8), (0.5, 2.5, 16), (0, 1, 1)])
def test_scaler_formula_and_revert(lo, hi, bits):
    x = np.random.default_rng(1).integers(0, 2**bits, (4, 3, 2, 2)).astype(np.float64)
    ds = DataSet(x.copy())
    scaler = ImagePreProcessingScaler(lo, hi, bits)
    scaler.pre_process(ds)
    np.testing.assert_allclose(ds.features, x / (2**bits - 1) * (hi - lo) + lo, rtol=1e-12)
    scaler.revert(ds)
    np.testing.assert_allclose(ds.features, x, rtol=1e-12, atol=1e-9)


def test_scaler_uint8_gives_float32_in_0_1():
    ds = DataSet(np.array([[[[0, 255]]]], dtype=np.uint8))
    ImagePreProcessingScaler().pre_process(ds)
    assert ds.features.dtype == np.float32 and ds.features.ravel().tolist() == [0.0, 1.0]


def test_scaler_labels_only_rank4_and_only_when_asked():
    x = np.full((1, 1, 2, 2), 255.0)
    scaler = ImagePreProcessingScaler()
    ds = DataSet(x.copy(), x.copy())
    scaler.pre_process(ds)
    assert ds.labels.max() == 255.0
    scaler.fit_label(True)
    ds = DataSet(x.copy(), x.copy())
    scaler.pre_process(ds)
    assert ds.labels.max() == 1.0
    with pytest.raises(ValueError, match="rank 4"):
        scaler.pre_process(DataSet(x.copy(), np.ones((1, 3))))


@pytest.mark.parametrize(
    "kwargs", [{"max_bits": 0}, {"max_bits": 1.5}, {"min_range": 1, "max_range": 1}]
)
def test_scaler_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ImagePreProcessingScaler(**kwargs)


# --- VGG16 ----------------------------------------------------------------------------
def test_vgg_means_are_dl4j_bgr_constants():
    assert VGG_MEAN_OFFSET_BGR == (103.939, 116.779, 123.68)
    x = _images((2, 3, 4, 4))
    ds = DataSet(x.copy())
    VGG16ImagePreProcessor().pre_process(ds)
    for c, m in enumerate((103.939, 116.779, 123.68)):
        np.testing.assert_allclose(ds.features[:, c], x[:, c] - m, rtol=1e-12)
    VGG16ImagePreProcessor().revert(ds)
    np.testing.assert_allclose(ds.features, x, rtol=1e-12)


def test_vgg_leaves_labels_and_needs_3_channels():
    y = np.ones((1, 2))
    ds = DataSet(np.zeros((1, 3, 1, 1), np.float32), y.copy())
    VGG16ImagePreProcessor().pre_process(ds)
    assert ds.features.dtype == np.float32
    np.testing.assert_array_equal(ds.labels, y)
    with pytest.raises(ValueError, match="3 channels"):
        VGG16ImagePreProcessor().pre_process(DataSet(np.zeros((1, 4, 2, 2))))


# --- Permute / grayscale / flatten ----------------------------------------------------
def test_permute_both_ways():
    x = _images((2, 3, 5, 4))
    ds = DataSet(x.copy())
    PermuteDataSetPreProcessor("NCHW_TO_NHWC").pre_process(ds)
    np.testing.assert_array_equal(ds.features, np.transpose(x, (0, 2, 3, 1)))
    assert ds.features.flags.c_contiguous
    PermuteDataSetPreProcessor("NHWCtoNCHW").pre_process(ds)
    np.testing.assert_array_equal(ds.features, x)


def test_permute_bad_arguments():
    with pytest.raises(ValueError, match="permutation"):
        PermuteDataSetPreProcessor("NCWH")
    with pytest.raises(ValueError, match="permutation"):
        PermuteDataSetPreProcessor((0, 0, 1))
    with pytest.raises(ValueError, match="rank-4"):
        PermuteDataSetPreProcessor("NCHW_TO_NHWC").pre_process(DataSet(np.zeros((2, 3))))


def test_grayscale_weights():
    x = _images((2, 3, 4, 5))
    ds = DataSet(x.copy())
    RGBtoGrayscaleDataSetPreProcessor().pre_process(ds)
    assert ds.features.shape == (2, 4, 5)  # DL4J drops the channel axis: NCHW -> NHW
    np.testing.assert_allclose(
        ds.features, 0.3 * x[:, 0] + 0.59 * x[:, 1] + 0.11 * x[:, 2], rtol=1e-12
    )


def test_grayscale_uint8_and_bad_channels():
    ds = DataSet(np.full((1, 3, 1, 1), 100, np.uint8))
    RGBtoGrayscaleDataSetPreProcessor().pre_process(ds)
    assert ds.features.dtype == np.float32 and ds.features.item() == pytest.approx(100.0)
    with pytest.raises(ValueError, match="3 channels"):
        RGBtoGrayscaleDataSetPreProcessor().pre_process(DataSet(np.zeros((1, 1, 2, 2))))


def test_flattening():
    x = _images((2, 3, 4, 5))
    ds = DataSet(x[:, :, ::-1])  # a non-contiguous view must still flatten in C order
    ImageFlatteningDataSetPreProcessor().pre_process(ds)
    np.testing.assert_array_equal(ds.features, x[:, :, ::-1].reshape(2, 60))
    flat = DataSet(np.ones((2, 7)))
    ImageFlatteningDataSetPreProcessor().pre_process(flat)
    assert flat.features.shape == (2, 7)
    with pytest.raises(ValueError, match="rank-4"):
        ImageFlatteningDataSetPreProcessor().pre_process(DataSet(np.ones((2, 3, 4))))


def test_empty_dataset_passes_through():
    for p in (
        PermuteDataSetPreProcessor("NCHW_TO_NHWC"),
        RGBtoGrayscaleDataSetPreProcessor(),
        ImageFlatteningDataSetPreProcessor(),
        CropAndResizeDataSetPreProcessor(4, 4, 0, 0, 2, 2, 1),
    ):
        ds = DataSet()
        p.pre_process(ds)
        assert ds.is_empty()


# --- Crop and resize ------------------------------------------------------------------
def _crop_reference(img, h, w, cy, cx, rh, rw, method):
    """libnd4j's crop_and_resize, one pixel at a time."""
    y1, x1, y2, x2 = cy / h, cx / w, (cy + rh) / h, (cx + rw) / w
    n, _, _, c = img.shape
    out = np.zeros((n, rh, rw, c))
    hs = (y2 - y1) * (h - 1) / (rh - 1) if rh > 1 else 0
    ws = (x2 - x1) * (w - 1) / (rw - 1) if rw > 1 else 0
    for b in range(n):
        for y in range(rh):
            iy = y1 * (h - 1) + y * hs if rh > 1 else 0.5 * (y1 + y2) * (h - 1)
            for x in range(rw):
                ix = x1 * (w - 1) + x * ws if rw > 1 else 0.5 * (x1 + x2) * (w - 1)
                if method == "nearest":
                    out[b, y, x] = img[b, int(np.floor(iy + 0.5)), int(np.floor(ix + 0.5))]
                    continue
                t, bt = int(np.floor(iy)), min(int(np.ceil(iy)), h - 1)
                lft, r = int(np.floor(ix)), min(int(np.ceil(ix)), w - 1)
                yl, xl = iy - t, ix - lft
                top = img[b, t, lft] + (img[b, t, r] - img[b, t, lft]) * xl
                bot = img[b, bt, lft] + (img[b, bt, r] - img[b, bt, lft]) * xl
                out[b, y, x] = top + (bot - top) * yl
    return out


@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    c=st.integers(1, 3),
    data=st.data(),
    method=st.sampled_from(["bilinear", "nearest"]),
)
def test_crop_and_resize_matches_reference(h, w, c, data, method):
    rh, rw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    cy, cx = data.draw(st.integers(0, h - rh)), data.draw(st.integers(0, w - rw))
    img = _images((2, h, w, c), seed=h * 100 + w)
    ds = DataSet(img.copy())
    CropAndResizeDataSetPreProcessor(h, w, cy, cx, rh, rw, c, method).pre_process(ds)
    assert ds.features.shape == (2, rh, rw, c)
    np.testing.assert_allclose(
        ds.features, _crop_reference(img, h, w, cy, cx, rh, rw, method), rtol=1e-12, atol=1e-9
    )


def test_crop_full_window_is_identity():
    img = _images((2, 6, 5, 3))
    ds = DataSet(img.copy())
    CropAndResizeDataSetPreProcessor(6, 5, 0, 0, 6, 5, 3).pre_process(ds)
    np.testing.assert_allclose(ds.features, img, rtol=1e-12)


@pytest.mark.parametrize(
    "args",
    [(0, 4, 0, 0, 1, 1, 1), (4, 4, -1, 0, 1, 1, 1), (4, 4, 2, 0, 3, 1, 1), (4, 4, 0, 0, 2, 2, 0)],
)
def test_crop_bad_arguments(args):
    with pytest.raises(ValueError):
        CropAndResizeDataSetPreProcessor(*args)


def test_crop_wrong_feature_shape():
    p = CropAndResizeDataSetPreProcessor(4, 4, 0, 0, 2, 2, 3)
    with pytest.raises(ValueError, match="NHWC"):
        p.pre_process(DataSet(np.zeros((1, 3, 4, 4))))


def test_image_chain_as_iterator_pre_processor():
    x = _images((5, 3, 4, 4), dtype=np.uint8)
    it = ArrayDataSetIterator(x, batch_size=2)
    it.pre_processor = ImagePreProcessingScaler()
    out = np.concatenate([ds.features for ds in it])
    np.testing.assert_allclose(out, x / 255.0, rtol=1e-6)
