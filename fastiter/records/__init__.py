"""Record readers and the record-reader iterators (DataVec + DL4J's datavec iterators).

Examples
--------
>>> from fastiter.records import CollectionRecordReader, RecordReaderDataSetIterator
>>> rr = CollectionRecordReader([[0.1, 0.2, 1], [0.3, 0.4, 0], [0.5, 0.6, 1]])
>>> it = RecordReaderDataSetIterator.Builder(rr, 2).classification(2, 2).build()
>>> [ds.labels.argmax(1).tolist() for ds in it]
[[1, 0], [1]]
"""

from fastiter.records._csvparse import CSVFormatError
from fastiter.records.alignment import AlignmentMode
from fastiter.records.base import (
    RecordMetaData,
    RecordReader,
    RecordRefs,
    SequenceRecordReader,
)
from fastiter.records.collection import CollectionRecordReader, CollectionSequenceRecordReader
from fastiter.records.csv import CSVRecordReader, CSVSequenceRecordReader
from fastiter.records.multi import RecordReaderMultiDataSetIterator
from fastiter.records.netcdf_hdf5 import (
    HDF5RecordReader,
    HDF5SequenceRecordReader,
    NetCDFRecordReader,
    NetCDFSequenceRecordReader,
)
from fastiter.records.record_iterator import RecordReaderDataSetIterator
from fastiter.records.sequence import SequenceRecordReaderDataSetIterator

__all__ = [
    "AlignmentMode",
    "CSVFormatError",
    "CSVRecordReader",
    "CSVSequenceRecordReader",
    "CollectionRecordReader",
    "CollectionSequenceRecordReader",
    "HDF5RecordReader",
    "HDF5SequenceRecordReader",
    "NetCDFRecordReader",
    "NetCDFSequenceRecordReader",
    "RecordMetaData",
    "RecordReader",
    "RecordReaderDataSetIterator",
    "RecordReaderMultiDataSetIterator",
    "RecordRefs",
    "SequenceRecordReader",
    "SequenceRecordReaderDataSetIterator",
]
