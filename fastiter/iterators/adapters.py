"""Adapters between the two interfaces: MultiDataSet streams seen as DataSets and back."""

from __future__ import annotations

from fastiter.dataset import DataSet, MultiDataSet
from fastiter.iterators._wrapping import MappedWrapper
from fastiter.iterators.base import DataSetIterator, MultiDataSetIterator

__all__ = ["MultiDataSetWrapperIterator", "MultiDataSetIteratorAdapter", "to_data_set"]


def to_data_set(mds: MultiDataSet) -> DataSet:
    """A one-input, one-output MultiDataSet as a DataSet; no labels means labels = features.

    Raises ValueError for more than one input or output array.
    """
    if len(mds.features) > 1 or len(mds.labels) > 1:
        raise ValueError(
            f"only a MultiDataSet with one features array and at most one labels "
            f"array converts to a DataSet, got {len(mds.features)} features "
            f"and {len(mds.labels)} labels arrays"
        )
    if not mds.features:
        raise ValueError("the MultiDataSet has no features array to convert")
    feats = mds.features[0]
    labels = mds.labels[0] if mds.labels else feats
    fm = mds.features_masks[0] if mds.features_masks else None
    lm = mds.labels_masks[0] if mds.labels_masks and mds.labels else None
    return DataSet(feats, labels, fm, lm, example_metadata=mds.example_metadata)


class MultiDataSetWrapperIterator(MappedWrapper, DataSetIterator):
    """A MultiDataSetIterator with one input and one output, seen as a DataSetIterator.

    A batch without labels gets labels = features; a batch with more than one input or
    output raises ValueError.  Flags come from the base; this iterator's (DataSet)
    pre-processor is applied here, once per batch.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> multi = MultiDataSetIteratorAdapter(ArrayDataSetIterator(np.ones((4, 2)), None, 2))
    >>> [ds.labels.shape for ds in MultiDataSetWrapperIterator(multi)]
    [(2, 2), (2, 2)]
    """

    _base_type = MultiDataSetIterator

    def __init__(self, base: MultiDataSetIterator) -> None:
        super().__init__(base)

    def _map(self, batch: MultiDataSet) -> DataSet:
        return to_data_set(batch)


class MultiDataSetIteratorAdapter(MappedWrapper, MultiDataSetIterator):
    """A DataSetIterator seen as a MultiDataSetIterator of one-input, one-output batches.

    Flags come from the base; this iterator's (MultiDataSet) pre-processor is applied
    here, once per batch, after the base's own, to a copy (so data the base keeps is never
    changed).

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> it = MultiDataSetIteratorAdapter(ArrayDataSetIterator(np.ones((3, 2)), np.ones((3, 1)), 2))
    >>> [(m.num_features_arrays(), m.num_labels_arrays(), len(m)) for m in it]
    [(1, 1, 2), (1, 1, 1)]
    """

    _base_type = DataSetIterator

    def __init__(self, base: DataSetIterator) -> None:
        super().__init__(base)

    def _map(self, batch: DataSet) -> MultiDataSet:
        return batch.to_multi_data_set()
