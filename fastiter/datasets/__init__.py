"""Benchmark datasets as DL4J's iterators: Iris (shipped), MNIST, EMNIST, CIFAR-10,
Tiny ImageNet, LFW and the UCI synthetic control charts.

Files live under ``FASTITER_DATA_HOME`` (default ``~/.fastiter/data``), one folder per
dataset; missing ones are downloaded with pinned checksums, or an error says which
files to put where.

Examples
--------
>>> from fastiter.datasets import IrisDataSetIterator
>>> IrisDataSetIterator(150, 150).next().features.shape
(150, 4)
"""

from fastiter.datasets.base import BaseDatasetIterator, pixels_to_float
from fastiter.datasets.cifar import CifarDataSetIterator, read_cifar_batch
from fastiter.datasets.download import (
    ChecksumError,
    DatasetNotFoundError,
    Resource,
    download_file,
    ensure_files,
    extract_archive,
)
from fastiter.datasets.emnist import EmnistDataSetIterator, EMnistSet
from fastiter.datasets.home import data_home, dataset_dir
from fastiter.datasets.idx import read_idx, write_idx
from fastiter.datasets.images import (
    ImageFolderIterator,
    LFWDataSetIterator,
    TinyImageNetDataSetIterator,
    decode_image,
)
from fastiter.datasets.iris import IrisDataSetIterator, load_iris
from fastiter.datasets.mnist import MnistDataSetIterator
from fastiter.datasets.uci import UciSequenceDataSetIterator, load_synthetic_control

__all__ = [
    "BaseDatasetIterator",
    "CifarDataSetIterator",
    "EmnistDataSetIterator",
    "EMnistSet",
    "ImageFolderIterator",
    "IrisDataSetIterator",
    "LFWDataSetIterator",
    "MnistDataSetIterator",
    "TinyImageNetDataSetIterator",
    "UciSequenceDataSetIterator",
    "ChecksumError",
    "DatasetNotFoundError",
    "Resource",
    "data_home",
    "dataset_dir",
    "decode_image",
    "download_file",
    "ensure_files",
    "extract_archive",
    "load_iris",
    "load_synthetic_control",
    "pixels_to_float",
    "read_cifar_batch",
    "read_idx",
    "write_idx",
]
