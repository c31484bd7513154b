"""IrisDataSetIterator: Fisher's iris data, shipped inside the package.

``data/iris.csv`` is scikit-learn's copy (scikit-learn 1.9.1, BSD-3-Clause): a header
line ``150,4,setosa,versicolor,virginica`` then 150 rows of four measurements (cm) and a
class index, sorted by class as DL4J's copy is.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from fastiter._validate import SeedLike
from fastiter.datasets.base import BaseDatasetIterator
from fastiter.errors import FormatError

__all__ = ["IrisDataSetIterator", "load_iris", "IRIS_LABELS"]

IRIS_LABELS = ["setosa", "versicolor", "virginica"]


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """The shipped table: ``(features [150, 4] float32, class ids [150] uint8)``.

    Examples
    --------
    >>> x, y = load_iris()
    >>> x.shape, np.bincount(y).tolist()
    ((150, 4), [50, 50, 50])
    """
    text = (resources.files("fastiter.datasets") / "data" / "iris.csv").read_text()
    header, *rows = text.strip().splitlines()
    n, f = (int(v) for v in header.split(",")[:2])
    table = np.loadtxt(rows, delimiter=",", dtype=np.float64, ndmin=2)
    if table.shape != (n, f + 1):
        raise FormatError(
            f"the shipped iris.csv has shape {table.shape}, expected "
            f"({n}, {f + 1}); the package data is damaged"
        )
    return table[:, :f].astype(np.float32), table[:, f].astype(np.uint8)


class IrisDataSetIterator(BaseDatasetIterator):
    """Iris: features ``[b, 4]`` float32, one-hot labels ``[b, 3]``; works offline.

    Parameters
    ----------
    batch : int
        Examples per batch (default 150, the whole set).
    num_examples : int
        How many of the 150 class-sorted examples to use (default 150).  Like DL4J, the
        order is the file's (classes in blocks); shuffle explicitly if you need to.
    shuffle : bool
        Shuffle from ``seed`` (default False).
    seed : int
        Default 123.

    Examples
    --------
    >>> it = IrisDataSetIterator(50, 150)
    >>> [ds.labels.argmax(1)[0].item() for ds in it]
    [0, 1, 2]
    """

    def __init__(
        self, batch: int = 150, num_examples: int = 150, shuffle: bool = False, seed: SeedLike = 123
    ) -> None:
        features, classes = load_iris()
        super().__init__(
            batch,
            num_examples,
            features,
            classes,
            3,
            shuffle=shuffle,
            seed=seed,
            label_names=list(IRIS_LABELS),
        )
