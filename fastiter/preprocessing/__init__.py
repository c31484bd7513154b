"""Normalizers and pre-processors, with DL4J's semantics.

Every class here works as an iterator's ``pre_processor``: its ``pre_process(ds)``
changes the batch in place.

Examples
--------
>>> import numpy as np
>>> from fastiter import ArrayDataSetIterator
>>> from fastiter.preprocessing import NormalizerStandardize
>>> it = ArrayDataSetIterator(np.arange(20.0).reshape(10, 2), batch_size=4)
>>> norm = NormalizerStandardize(); norm.fit(it)
>>> it.pre_processor = norm
>>> round(float(np.concatenate([ds.features for ds in it]).std()), 6)
1.0
"""

from fastiter.preprocessing._strategy import EPS, DistributionStats, MinMaxStats
from fastiter.preprocessing.composite import (
    CombinedPreProcessor,
    CompositeDataSetPreProcessor,
    CompositeMultiDataSetPreProcessor,
    DummyPreProcessor,
)
from fastiter.preprocessing.image import (
    VGG_MEAN_OFFSET_BGR,
    ImagePreProcessingScaler,
    VGG16ImagePreProcessor,
)
from fastiter.preprocessing.image_ops import (
    CropAndResizeDataSetPreProcessor,
    ImageFlatteningDataSetPreProcessor,
    PermuteDataSetPreProcessor,
    RGBtoGrayscaleDataSetPreProcessor,
)
from fastiter.preprocessing.multi import (
    MultiNormalizerHybrid,
    MultiNormalizerMinMaxScaler,
    MultiNormalizerStandardize,
)
from fastiter.preprocessing.normalizers import (
    NormalizerMinMaxScaler,
    NormalizerStandardize,
    load_normalizer,
)
from fastiter.preprocessing.sequence import LabelLastTimeStepPreProcessor

__all__ = [
    "EPS",
    "DistributionStats",
    "MinMaxStats",
    "NormalizerStandardize",
    "NormalizerMinMaxScaler",
    "load_normalizer",
    "MultiNormalizerStandardize",
    "MultiNormalizerMinMaxScaler",
    "MultiNormalizerHybrid",
    "ImagePreProcessingScaler",
    "VGG16ImagePreProcessor",
    "VGG_MEAN_OFFSET_BGR",
    "PermuteDataSetPreProcessor",
    "RGBtoGrayscaleDataSetPreProcessor",
    "ImageFlatteningDataSetPreProcessor",
    "CropAndResizeDataSetPreProcessor",
    "LabelLastTimeStepPreProcessor",
    "CombinedPreProcessor",
    "CompositeDataSetPreProcessor",
    "CompositeMultiDataSetPreProcessor",
    "DummyPreProcessor",
]
