"""Fixed image scalers that need no fitting: ImagePreProcessingScaler and VGG16ImagePreProcessor."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter._validate import is_int
from fastiter.dataset import DataSet
from fastiter.preprocessing._inplace import writable_float

__all__ = ["ImagePreProcessingScaler", "VGG16ImagePreProcessor", "VGG_MEAN_OFFSET_BGR"]

#: The ImageNet channel means VGG16 was trained with, in BGR order (0-255 pixels).
VGG_MEAN_OFFSET_BGR = (103.939, 116.779, 123.68)


def _require_dataset(ds: Any, who: str) -> None:
    if not isinstance(ds, DataSet):
        raise TypeError(f"{who}.pre_process needs a DataSet, got {type(ds).__name__}")


class ImagePreProcessingScaler:
    """Scale pixels from ``[0, 2**max_bits - 1]`` to ``[min_range, max_range]``.

    ``x / (2**max_bits - 1) * (max_range - min_range) + min_range``, in place.  Integer
    pixels (uint8 images) are replaced by a float32 copy first.  ``fit`` is a no-op; with
    ``fit_label(True)`` rank-4 labels (segmentation masks) are scaled too.

    Parameters
    ----------
    min_range, max_range : float
        The target range, default [0, 1].
    max_bits : int
        Bits per pixel of the input (8 means 0-255; 1 means the input is already 0-1).

    Examples
    --------
    >>> ds = DataSet(np.array([[[[0, 51], [255, 102]]]], dtype=np.uint8))
    >>> ImagePreProcessingScaler().pre_process(ds)
    >>> ds.features.dtype, ds.features.ravel().tolist()
    (dtype('float32'), [0.0, 0.20000000298023224, 1.0, 0.4000000059604645])
    """

    def __init__(self, min_range: float = 0.0, max_range: float = 1.0, max_bits: int = 8) -> None:
        if not is_int(max_bits) or not 1 <= max_bits <= 64:
            raise ValueError(f"max_bits must be an integer from 1 to 64, got {max_bits!r}")
        if not (np.isfinite(min_range) and np.isfinite(max_range)) or max_range <= min_range:
            raise ValueError(
                f"the target range needs finite min_range < max_range, got "
                f"min_range={min_range!r}, max_range={max_range!r}"
            )
        self.min_range, self.max_range = float(min_range), float(max_range)
        self.max_bits = int(max_bits)
        self.max_pixel_val = float(2**self.max_bits - 1)
        self._fit_labels = False

    def fit(self, data: Any = None) -> None:
        """No-op: the scaling is fixed by ``max_bits`` (kept for the normalizer API)."""

    def fit_label(self, fit_labels: bool = True) -> None:
        """Also scale rank-4 labels (segmentation masks)."""
        self._fit_labels = bool(fit_labels)

    def is_fit_label(self) -> bool:
        """Whether rank-4 labels are scaled too."""
        return self._fit_labels

    def transform(self, data: Any) -> Any:
        """Scale a DataSet in place, or an array (returned; in place when it is a
        writeable floating array)."""
        if isinstance(data, DataSet):
            self.pre_process(data)
            return data
        arr = writable_float(data, "features")
        arr /= self.max_pixel_val
        arr *= self.max_range - self.min_range
        arr += self.min_range
        return arr

    def revert_features(self, data: Any) -> np.ndarray:
        """Undo :meth:`transform` on an array."""
        arr = writable_float(data, "features")
        arr -= self.min_range
        arr /= self.max_range - self.min_range
        arr *= self.max_pixel_val
        return arr

    def _labels_ok(self, ds: DataSet) -> bool:
        if not self._fit_labels or ds.labels is None:
            return False
        if ds.labels.ndim != 4:
            raise ValueError(
                f"with fit_label(True) labels must be rank 4 (segmentation "
                f"masks), got shape {ds.labels.shape}"
            )
        return True

    def pre_process(self, ds: DataSet) -> None:
        """Apply in place to ``ds`` (as an iterator pre-processor)."""
        _require_dataset(ds, type(self).__name__)
        if ds.features is not None:
            ds.features = self.transform(ds.features)
        if self._labels_ok(ds):
            ds.labels = self.transform(ds.labels)

    def revert(self, ds: DataSet) -> None:
        """Undo :meth:`pre_process` in place."""
        _require_dataset(ds, type(self).__name__)
        if ds.features is not None:
            ds.features = self.revert_features(ds.features)
        if self._labels_ok(ds):
            ds.labels = self.revert_features(ds.labels)

    def __repr__(self) -> str:
        return (
            f"ImagePreProcessingScaler(min_range={self.min_range}, "
            f"max_range={self.max_range}, max_bits={self.max_bits})"
        )


class VGG16ImagePreProcessor:
    """Subtract VGG16's BGR channel means (103.939, 116.779, 123.68) along dimension 1.

    Expects NCHW images with 3 channels in BGR order and 0-255 values.  Labels are never
    changed.  ``revert`` adds the means back.

    Examples
    --------
    >>> ds = DataSet(np.full((1, 3, 1, 1), 200.0))
    >>> VGG16ImagePreProcessor().pre_process(ds)
    >>> ds.features.ravel().round(3).tolist()
    [96.061, 83.221, 76.32]
    """

    def fit(self, data: Any = None) -> None:
        """No-op: the means are fixed."""

    def _means(self, arr: np.ndarray) -> np.ndarray:
        if arr.ndim < 2 or arr.shape[1] != 3:
            raise ValueError(
                f"VGG16ImagePreProcessor needs 3 channels along dimension 1 "
                f"(NCHW, BGR), got features of shape {arr.shape}"
            )
        shape = [1] * arr.ndim
        shape[1] = 3
        return np.asarray(VGG_MEAN_OFFSET_BGR, dtype=arr.dtype).reshape(shape)

    def transform(self, data: Any) -> Any:
        """Subtract the means from a DataSet (in place) or an array (returned)."""
        if isinstance(data, DataSet):
            self.pre_process(data)
            return data
        arr = writable_float(data, "features")
        arr -= self._means(arr)
        return arr

    def revert_features(self, data: Any) -> np.ndarray:
        """Add the means back to an array."""
        arr = writable_float(data, "features")
        arr += self._means(arr)
        return arr

    def pre_process(self, ds: DataSet) -> None:
        """Apply in place to ``ds`` (as an iterator pre-processor)."""
        _require_dataset(ds, type(self).__name__)
        if ds.features is not None:
            ds.features = self.transform(ds.features)

    def revert(self, ds: DataSet) -> None:
        """Undo :meth:`pre_process` in place."""
        _require_dataset(ds, type(self).__name__)
        if ds.features is not None:
            ds.features = self.revert_features(ds.features)

    def __repr__(self) -> str:
        return "VGG16ImagePreProcessor()"
