"""RecordReaderMultiDataSetIterator: MultiDataSets whose inputs and outputs are column
ranges (or one-hot columns) of several record and sequence readers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fastiter import kernels
from fastiter._validate import SeedLike, optional_seed_key, positive_int, seed_key
from fastiter.dataset import MultiDataSet
from fastiter.iterators.base import MultiDataSetIterator
from fastiter.records.alignment import AlignmentMode, align_batch
from fastiter.records.base import RecordReader, SequenceRecordReader
from fastiter.records.record_iterator import labels_as_classes

__all__ = ["RecordReaderMultiDataSetIterator"]


@dataclass(frozen=True)
class _Column:
    reader: str
    first: int  # inclusive
    last: int  # inclusive
    num_classes: int  # 0: values as they are; else one-hot of column `first`


class RecordReaderMultiDataSetIterator(MultiDataSetIterator):
    """Multi-input / multi-output minibatches from named readers (DL4J's
    RecordReaderMultiDataSetIterator).  Build it with :class:`Builder`.

    A batch takes ``batch_size`` records from every reader, keeping the **minimum**
    count across readers.  Record readers give ``[N, width]`` arrays; sequence readers
    give ``[N, width, T]``, T being the longest sequence of the batch across every
    sequence input and output, placed by the alignment mode (default ``ALIGN_START``),
    with a ``[N, T]`` mask only for an array holding a shorter sequence.

    Examples
    --------
    >>> from fastiter.records import CollectionRecordReader
    >>> rr = CollectionRecordReader([[0.5, 1.5, 2], [2.5, 3.5, 0]])
    >>> it = (RecordReaderMultiDataSetIterator.Builder(2).add_reader("r", rr)
    ...       .add_input("r", 0, 1).add_output_one_hot("r", 2, 3).build())
    >>> mds = it.next()
    >>> mds.features[0].tolist(), mds.labels[0].tolist()
    ([[0.5, 1.5], [2.5, 3.5]], [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    """

    def __init__(self, builder: RecordReaderMultiDataSetIterator.Builder) -> None:
        super().__init__()
        self._batch_size = builder._batch_size
        self._readers = dict(builder._readers)
        self._inputs = list(builder._inputs)
        self._outputs = list(builder._outputs)
        self._mode = builder._mode
        self._random_offset = builder._random_offset
        self._seed = builder._seed
        self._dtype = np.dtype(builder._dtype)
        self._collect = builder._collect

    # --- batches --------------------------------------------------------------------
    def has_next(self) -> bool:
        return all(r.has_next() for r in self._readers.values())

    def _read(self) -> tuple[dict[str, Any], int, list | None]:
        data: dict[str, Any] = {}
        refs = {}
        for name, r in self._readers.items():
            if isinstance(r, SequenceRecordReader):
                data[name], refs[name] = r.next_sequences(self._batch_size)
            else:
                data[name], refs[name] = r.next_records(self._batch_size)
        k = min(len(v) for v in data.values())
        metas = None
        if self._collect:
            metas = [{n: refs[n][i] for n in self._readers} for i in range(k)]
        return {n: v[:k] for n, v in data.items()}, k, metas

    def _array(self, col: _Column, values: np.ndarray, describe: Any) -> np.ndarray:
        if col.num_classes:
            idx = labels_as_classes(values[:, col.first], col.num_classes, describe)
            return kernels.one_hot(idx, col.num_classes, dtype=self._dtype)
        return values[:, col.first : col.last + 1].astype(self._dtype)

    def _build(self, data: dict[str, Any], k: int, metas: list | None) -> MultiDataSet:
        def describe_for(reader: str, owner: np.ndarray | None = None) -> Any:
            def describe(i: int) -> str:
                j = int(owner[i]) if owner is not None else i
                return (
                    metas[j][reader].location()
                    if metas is not None
                    else f"#{j} of reader {reader!r}"
                )

            return describe

        flat, lengths = {}, {}
        for name, r in self._readers.items():
            if isinstance(r, SequenceRecordReader):
                lengths[name] = np.array([len(s) for s in data[name]], np.int64)
                flat[name] = np.concatenate(data[name])
        arrays: list[Any] = []
        seq_slots, seq_arrays, seq_names = [], [], []
        for slot, col in enumerate(self._inputs + self._outputs):
            if col.reader in lengths:
                owner = np.repeat(np.arange(k), lengths[col.reader])
                values = self._array(col, flat[col.reader], describe_for(col.reader, owner))
                seq_slots.append(slot)
                seq_arrays.append((values, lengths[col.reader]))
                seq_names.append(
                    f"{'input' if slot < len(self._inputs) else 'output'} "
                    f"from reader {col.reader!r}"
                )
                arrays.append(None)
            else:
                arrays.append(self._array(col, data[col.reader], describe_for(col.reader)))
        masks: list[Any] = [None] * len(arrays)
        if seq_arrays:
            aligned = align_batch(
                seq_arrays,
                seq_names,
                self._mode,
                self._dtype,
                describe_for(next(iter(lengths))),
                self._shifts(seq_arrays),
            )
            for slot, (batch, mask) in zip(seq_slots, aligned):
                arrays[slot], masks[slot] = batch, mask
        ni = len(self._inputs)
        fm, lm = masks[:ni], masks[ni:]
        return MultiDataSet(
            arrays[:ni],
            arrays[ni:],
            fm if any(m is not None for m in fm) else None,
            lm if any(m is not None for m in lm) else None,
            example_metadata=metas,
        )

    def _shifts(self, seq_arrays: list) -> Any:
        """The generator for this batch's random offsets, derived from (seed, epoch,
        batch) so a resumed run draws the same shifts; None when not asked for."""
        if not self._random_offset:
            return None
        assert self._seed is not None  # time_series_random_offset(True) requires one
        rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence([self._seed, self._epoch, self._position]))
        )
        return rng

    def _next_batch(self, num: int | None) -> MultiDataSet:
        if num is not None and num != self._batch_size:
            raise NotImplementedError(
                "RecordReaderMultiDataSetIterator.next(num) supports "
                "only num=None or num == batch_size"
            )
        data, k, metas = self._read()
        return self._build(data, k, metas)

    def load_from_metadata(self, metas: list[dict[str, Any]]) -> MultiDataSet:
        """Rebuild the examples named by ``metas`` (as collected: one ``{reader name:
        RecordMetaData}`` dict per example), pre-processor applied."""
        metas = list(metas)
        data = {}
        for name, r in self._readers.items():
            try:
                wanted = [m[name] for m in metas]
            except (KeyError, TypeError):
                raise ValueError(
                    f"each metadata entry must map every reader name "
                    f"({sorted(self._readers)}) to a RecordMetaData"
                ) from None
            data[name] = r.load_from_metadata(wanted)
        mds = self._build(data, len(metas), metas)
        self._apply_pre_processor(mds)
        return mds

    def _restart(self) -> None:
        for r in self._readers.values():
            r.reset()

    def _skip(self, n: int) -> None:
        for r in self._readers.values():
            r.skip(n * self._batch_size)

    def reset_supported(self) -> bool:
        return all(r.reset_supported() for r in self._readers.values())

    def batch(self) -> int:
        """The nominal batch size."""
        return self._batch_size

    class Builder:
        """Register readers by name, then pick inputs and outputs from their columns."""

        def __init__(self, batch_size: int) -> None:
            self._batch_size = positive_int("batch_size", batch_size)
            self._readers: dict[str, Any] = {}
            self._inputs: list[_Column] = []
            self._outputs: list[_Column] = []
            self._mode = AlignmentMode.ALIGN_START
            self._random_offset = False
            self._seed: int | None = None
            self._dtype: Any = np.float32
            self._collect = False

        def _add(self, name: str, reader: Any, kind: type) -> Any:
            if not isinstance(reader, kind):
                raise TypeError(
                    f"reader {name!r} must be a {kind.__name__}, got {type(reader).__name__}"
                )
            if name in self._readers:
                raise ValueError(f"a reader named {name!r} is already registered")
            self._readers[name] = reader
            return self

        def add_reader(self, name: str, reader: RecordReader) -> Any:
            return self._add(name, reader, RecordReader)

        def add_sequence_reader(self, name: str, reader: SequenceRecordReader) -> Any:
            return self._add(name, reader, SequenceRecordReader)

        def add_input(
            self, name: str, first_col: int | None = None, last_col: int | None = None
        ) -> Any:
            self._inputs.append(self._range(name, first_col, last_col, "add_input"))
            return self

        def add_output(
            self, name: str, first_col: int | None = None, last_col: int | None = None
        ) -> Any:
            self._outputs.append(self._range(name, first_col, last_col, "add_output"))
            return self

        def add_input_one_hot(self, name: str, column: int, num_classes: int) -> Any:
            self._inputs.append(self._one_hot(name, column, num_classes, "add_input_one_hot"))
            return self

        def add_output_one_hot(self, name: str, column: int, num_classes: int) -> Any:
            self._outputs.append(self._one_hot(name, column, num_classes, "add_output_one_hot"))
            return self

        def _range(self, name: str, first: int | None, last: int | None, what: str) -> Any:
            if (first is None) != (last is None):
                raise ValueError(
                    f"{what}({name!r}): give both first_col and last_col "
                    f"(an inclusive range) or neither (all columns)"
                )
            if first is not None and last is not None and not 0 <= first <= last:
                raise ValueError(
                    f"{what}({name!r}): need 0 <= first_col <= last_col, got {first}..{last}"
                )
            return (what, name, first, last, 0)

        def _one_hot(self, name: str, column: int, num_classes: int, what: str) -> Any:
            positive_int(f"{what}({name!r}) num_classes", num_classes)
            if not isinstance(column, int) or column < 0:
                raise ValueError(
                    f"{what}({name!r}): column must be an integer >= 0, got {column!r}"
                )
            return (what, name, column, column, num_classes)

        def sequence_alignment_mode(self, mode: Any) -> Any:
            self._mode = AlignmentMode.of(mode)
            return self

        def time_series_random_offset(self, flag: bool, seed: SeedLike = None) -> Any:
            """Shift each example's sequences by a seeded random number of steps, within
            the room its longest sequence leaves in the batch (ALIGN_START only)."""
            if flag and seed is None:
                raise ValueError(
                    "time_series_random_offset(True) needs a seed "
                    "(fastiter uses no global randomness)"
                )
            self._random_offset = bool(flag)
            self._seed = seed_key("seed", seed) if flag else optional_seed_key("seed", seed)
            return self

        def collect_metadata(self, flag: bool = True) -> Any:
            self._collect = bool(flag)
            return self

        def dtype(self, dtype: Any) -> Any:
            self._dtype = np.dtype(dtype)
            return self

        def build(self) -> RecordReaderMultiDataSetIterator:
            if not self._readers:
                raise ValueError("no reader: call add_reader or add_sequence_reader first")
            if not self._inputs and not self._outputs:
                raise ValueError("no input or output: call add_input / add_output")
            self._inputs = [self._resolve(c) for c in self._inputs]
            self._outputs = [self._resolve(c) for c in self._outputs]
            if self._random_offset and self._mode is not AlignmentMode.ALIGN_START:
                raise ValueError("time_series_random_offset needs ALIGN_START")
            return RecordReaderMultiDataSetIterator(self)

        def _resolve(self, spec: Any) -> _Column:
            if isinstance(spec, _Column):
                return spec
            what, name, first, last, ncls = spec
            if name not in self._readers:
                raise ValueError(
                    f"{what}({name!r}): no reader named {name!r}; registered: "
                    f"{sorted(self._readers)}"
                )
            width = self._readers[name].num_columns()
            if first is None:
                first, last = 0, width - 1
            if last >= width:
                raise ValueError(
                    f"{what}({name!r}): column {last} is beyond the record "
                    f"width {width} of reader {name!r} (columns 0..{width - 1})"
                )
            return _Column(name, first, last, ncls)
