"""Time-series pre-processors: LabelLastTimeStepPreProcessor."""

from __future__ import annotations

import numpy as np

from fastiter.dataset import DataSet

__all__ = ["LabelLastTimeStepPreProcessor"]


class LabelLastTimeStepPreProcessor:
    """Keep only the label of each sequence's last real step: ``[N, C, T]`` -> ``[N, C]``.

    The last real step is the last one whose label mask is > 0 (``T - 1`` when there is
    no label mask); the label mask is then removed.  Labels of rank other than 3, and an
    example whose label mask is all 0, raise ``ValueError``.  Features are untouched.

    Examples
    --------
    >>> labels = np.arange(12.0).reshape(2, 2, 3)            # [N=2, C=2, T=3]
    >>> ds = DataSet(np.zeros((2, 1, 3)), labels, labels_mask=np.array([[1, 1, 0], [1, 1, 1]]))
    >>> LabelLastTimeStepPreProcessor().pre_process(ds)
    >>> ds.labels.tolist(), ds.labels_mask
    ([[1.0, 4.0], [8.0, 11.0]], None)
    """

    def pre_process(self, ds: DataSet) -> None:
        """Replace ``ds.labels`` by their last real step and drop the label mask."""
        if not isinstance(ds, DataSet):
            raise TypeError(
                f"LabelLastTimeStepPreProcessor.pre_process needs a DataSet, "
                f"got {type(ds).__name__}"
            )
        labels = ds.labels
        if labels is None or labels.ndim != 3:
            shape = None if labels is None else labels.shape
            raise ValueError(
                f"LabelLastTimeStepPreProcessor needs rank-3 labels [N, C, T], got shape {shape}"
            )
        mask = ds.labels_mask
        if mask is None:
            ds.labels = labels[:, :, -1].copy()
            return
        real = np.asarray(mask) > 0
        if real.shape != (labels.shape[0], labels.shape[2]):
            raise ValueError(
                f"labels_mask must have shape {(labels.shape[0], labels.shape[2])} "
                f"to match labels {labels.shape}, got {real.shape}"
            )
        empty = ~real.any(axis=1)
        if empty.any():
            raise ValueError(
                f"examples {np.flatnonzero(empty).tolist()} are entirely masked "
                f"(their label mask is all 0), so they have no last time step"
            )
        last = labels.shape[2] - 1 - np.argmax(real[:, ::-1], axis=1)
        ds.labels = labels[np.arange(labels.shape[0]), :, last]
        ds.labels_mask = None
