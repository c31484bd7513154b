"""Image reshaping pre-processors: permute, grayscale, flatten, crop-and-resize.

Each replaces ``ds.features`` with a new array (the shape changes, so the batch cannot be
changed where it lies); the DataSet object itself is modified in place.  An empty DataSet
passes through untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastiter._validate import is_int
from fastiter.dataset import DataSet
from fastiter.preprocessing._inplace import float_dtype_for

__all__ = [
    "PermuteDataSetPreProcessor",
    "RGBtoGrayscaleDataSetPreProcessor",
    "ImageFlatteningDataSetPreProcessor",
    "CropAndResizeDataSetPreProcessor",
]


def _features(ds: Any, who: str) -> np.ndarray | None:
    if not isinstance(ds, DataSet):
        raise TypeError(f"{who}.pre_process needs a DataSet, got {type(ds).__name__}")
    return ds.features


def _rank4(arr: np.ndarray, who: str, layout: str) -> None:
    if arr.ndim != 4:
        raise ValueError(f"{who} needs rank-4 {layout} features, got shape {arr.shape}")


class PermuteDataSetPreProcessor:
    """Reorder the feature axes: ``"NCHW_TO_NHWC"``, ``"NHWC_TO_NCHW"`` or a custom order.

    The result is C-contiguous, so native kernels downstream get dense rows.

    >>> ds = DataSet(np.zeros((2, 3, 4, 5)))
    >>> PermuteDataSetPreProcessor("NCHW_TO_NHWC").pre_process(ds); ds.features.shape
    (2, 4, 5, 3)
    >>> PermuteDataSetPreProcessor((0, 3, 1, 2)).pre_process(ds); ds.features.shape
    (2, 3, 4, 5)
    """

    NCHW_TO_NHWC = (0, 2, 3, 1)
    NHWC_TO_NCHW = (0, 3, 1, 2)

    def __init__(self, permutation: str | Sequence[int]) -> None:
        if isinstance(permutation, str):
            key = permutation.upper().replace("TO", "_TO_").replace("__", "_")
            named = {"NCHW_TO_NHWC": self.NCHW_TO_NHWC, "NHWC_TO_NCHW": self.NHWC_TO_NCHW}
            if key not in named:
                raise ValueError(
                    f"permutation must be 'NCHW_TO_NHWC', 'NHWC_TO_NCHW' or a "
                    f"sequence of axes, got {permutation!r}"
                )
            self.axes: tuple[int, ...] = named[key]
        else:
            axes = tuple(int(a) for a in permutation)
            if sorted(axes) != list(range(len(axes))) or not axes:
                raise ValueError(
                    f"a custom permutation must order the axes 0..n-1 once "
                    f"each, got {permutation!r}"
                )
            self.axes = axes

    def pre_process(self, ds: DataSet) -> None:
        """Replace ``ds.features`` by the transformed array."""
        x = _features(ds, type(self).__name__)
        if x is None:
            return
        if x.ndim != len(self.axes):
            raise ValueError(
                f"permutation {self.axes} needs rank-{len(self.axes)} features, got shape {x.shape}"
            )
        ds.features = np.ascontiguousarray(x.transpose(self.axes))


class RGBtoGrayscaleDataSetPreProcessor:
    """Convert NCHW RGB images to grayscale ``0.3 R + 0.59 G + 0.11 B``, giving ``[N, H, W]``.

    As in DL4J the channel axis is dropped.  Integer pixels give float32.

    >>> ds = DataSet(np.array([100.0, 200.0, 50.0]).reshape(1, 3, 1, 1))
    >>> RGBtoGrayscaleDataSetPreProcessor().pre_process(ds); ds.features.round(3).tolist()
    [[[153.5]]]
    """

    WEIGHTS = (0.3, 0.59, 0.11)

    def pre_process(self, ds: DataSet) -> None:
        """Replace ``ds.features`` by the transformed array."""
        x = _features(ds, type(self).__name__)
        if x is None:
            return
        _rank4(x, type(self).__name__, "NCHW")
        if x.shape[1] != 3:
            raise ValueError(
                f"RGBtoGrayscaleDataSetPreProcessor needs 3 channels (RGB) along "
                f"dimension 1, got features of shape {x.shape}"
            )
        dtype = float_dtype_for(x.dtype)
        w = np.asarray(self.WEIGHTS, dtype=dtype)
        ds.features = np.einsum("nchw,c->nhw", x.astype(dtype, copy=False), w)


class ImageFlatteningDataSetPreProcessor:
    """Flatten rank-4 ``[N, C, H, W]`` features to ``[N, C*H*W]`` in C order.

    Rank-2 features pass through (DL4J's no-op).

    >>> ds = DataSet(np.arange(8.0).reshape(1, 2, 2, 2))
    >>> ImageFlatteningDataSetPreProcessor().pre_process(ds); ds.features.tolist()
    [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]
    """

    def pre_process(self, ds: DataSet) -> None:
        """Replace ``ds.features`` by the transformed array."""
        x = _features(ds, type(self).__name__)
        if x is None or x.ndim == 2:
            return
        _rank4(x, type(self).__name__, "[N, C, H, W]")
        ds.features = np.ascontiguousarray(x).reshape(x.shape[0], -1)


class CropAndResizeDataSetPreProcessor:
    """Crop a window out of NHWC images and resample it (DL4J's crop_and_resize op).

    The window starts at ``(crop_y_start, crop_x_start)`` and spans
    ``resized_height x resized_width`` pixels of the original; its box is resampled to
    that size with sample points ``y1*(H-1) + i*(y2-y1)*(H-1)/(h-1)`` (TensorFlow's and
    libnd4j's rule), bilinearly or by nearest neighbour.  Unlike DL4J, which crops only
    the first image of a batch, every image is cropped: the result is ``[N, h, w, C]``.

    Examples
    --------
    A 2x2 window of a 4x4 image has the box [0, 0.5]; scaled by ``H - 1 = 3`` it is sampled
    at rows and columns 0 and 1.5:

    >>> img = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> p = CropAndResizeDataSetPreProcessor(4, 4, 0, 0, 2, 2, 1)
    >>> ds = DataSet(img); p.pre_process(ds); ds.features[0, :, :, 0].tolist()
    [[0.0, 1.5], [6.0, 7.5]]
    """

    def __init__(
        self,
        original_height: int,
        original_width: int,
        crop_y_start: int,
        crop_x_start: int,
        resized_height: int,
        resized_width: int,
        num_channels: int,
        method: str = "bilinear",
    ) -> None:
        args = dict(
            original_height=original_height,
            original_width=original_width,
            resized_height=resized_height,
            resized_width=resized_width,
            num_channels=num_channels,
            crop_y_start=crop_y_start,
            crop_x_start=crop_x_start,
        )
        for name, v in args.items():
            lowest = 0 if name.startswith("crop") else 1
            if not is_int(v) or v < lowest:
                raise ValueError(f"{name} must be an integer >= {lowest}, got {v!r}")
        if (
            crop_y_start + resized_height > original_height
            or crop_x_start + resized_width > original_width
        ):
            raise ValueError(
                f"the crop window (y {crop_y_start}+{resized_height}, x "
                f"{crop_x_start}+{resized_width}) must lie inside the "
                f"{original_height}x{original_width} image"
            )
        if method not in ("bilinear", "nearest"):
            raise ValueError(f"method must be 'bilinear' or 'nearest', got {method!r}")
        self.original_shape = (int(original_height), int(original_width), int(num_channels))
        self.method = method
        h, w = self.original_shape[:2]
        self._ys = _sample_points(
            crop_y_start / h, (crop_y_start + resized_height) / h, h, int(resized_height)
        )
        self._xs = _sample_points(
            crop_x_start / w, (crop_x_start + resized_width) / w, w, int(resized_width)
        )

    def pre_process(self, ds: DataSet) -> None:
        """Replace ``ds.features`` by the transformed array."""
        x = _features(ds, type(self).__name__)
        if x is None:
            return
        _rank4(x, type(self).__name__, "NHWC")
        if x.shape[1:] != self.original_shape:
            raise ValueError(
                f"CropAndResizeDataSetPreProcessor expects NHWC features of "
                f"shape [N, {', '.join(map(str, self.original_shape))}], "
                f"got {x.shape}"
            )
        ds.features = self._resample(x)

    def _resample(self, x: np.ndarray) -> np.ndarray:
        dtype = float_dtype_for(x.dtype)
        if self.method == "nearest":
            # C's roundf rounds halves away from zero; the points are >= 0 here.
            h, w = self.original_shape[:2]
            yi = np.clip(np.floor(self._ys + 0.5), 0, h - 1).astype(np.intp)
            xi = np.clip(np.floor(self._xs + 0.5), 0, w - 1).astype(np.intp)
            return x[:, yi][:, :, xi].astype(dtype)
        h, w = self.original_shape[:2]
        y0, y1, fy = _corners(self._ys, h)
        x0, x1, fx = _corners(self._xs, w)
        xf = x.astype(dtype, copy=False)
        fx = fx.astype(dtype)[None, None, :, None]
        fy = fy.astype(dtype)[None, :, None, None]
        top = xf[:, y0][:, :, x0] + (xf[:, y0][:, :, x1] - xf[:, y0][:, :, x0]) * fx
        bottom = xf[:, y1][:, :, x0] + (xf[:, y1][:, :, x1] - xf[:, y1][:, :, x0]) * fx
        return top + (bottom - top) * fy


def _sample_points(lo: float, hi: float, size: int, n: int) -> np.ndarray:
    """Where each output row (or column) samples the input, in input pixel units."""
    if n == 1:
        return np.array([0.5 * (lo + hi) * (size - 1)])
    return lo * (size - 1) + np.arange(n) * ((hi - lo) * (size - 1) / (n - 1))


def _corners(points: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floor and ceil indices (clipped against rounding past the edge) and the weight."""
    lo = np.floor(points)
    return (
        np.clip(lo, 0, size - 1).astype(np.intp),
        np.clip(np.ceil(points), 0, size - 1).astype(np.intp),
        points - lo,
    )
