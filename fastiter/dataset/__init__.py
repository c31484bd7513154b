"""The bottom floor of fastiter's Python side: the data objects and what they need.

:class:`DataSet` and :class:`MultiDataSet` (DL4J's minibatch containers), their row,
merge, label, transform and HDF5 code, and the seeded orderings every iterator uses
(:mod:`fastiter.dataset.order`).  Nothing here imports from the iterators, readers,
preprocessing or framework adapters above it; ``tests/test_import_graph.py`` keeps it so.

>>> import numpy as np
>>> from fastiter.dataset import DataSet
>>> DataSet(np.zeros((2, 3), np.float32)).num_examples()
2
"""

from __future__ import annotations

from fastiter.dataset._dataset import DataSet, MultiDataSet
from fastiter.dataset._examples import SplitTestAndTrain

__all__ = ["DataSet", "MultiDataSet", "SplitTestAndTrain"]
