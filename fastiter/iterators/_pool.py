"""Batch slots with generation counters, for ``reuse_buffers=True``.

Batch ``j`` of an epoch is held by slot ``j % S``.  Batch ``i`` stays valid until the
consumer has asked for batch ``i + V`` (``V = queue_size + 1``); at that request the
slot's generation is bumped and the slot lets go of the batch's arrays, and any later
use of batch ``i`` through its DataSet raises :class:`~fastiter.errors.StaleBatchError`
(DL4J #4510, #5630).  With ``W`` producers there are ``S = V + W`` slots, so each
producer can fill one slot while the consumer still holds its ``V`` valid batches; for
one producer that is DL4J's ``queue_size + 2``.  A producer waits for its slot, so no
more than ``S`` batches exist at once.

The memory cycles as in DL4J's cyclic workspace, through the producers' block cache
(:func:`fastiter.iterators._pipeline.block_cache`): a batch's arrays are freed when its
slot lets go of them (and the consumer has dropped them too), and the next batch is
assembled in those blocks.  Nothing is copied, and nothing is ever overwritten while an
array is alive: an array taken out of a pooled batch (``x = ds.features``) stays
intact for as long as it is kept.  ``ds.detach()`` gives an ordinary DataSet.
"""

from __future__ import annotations

import threading
from typing import Any

from fastiter._core import RingClosed
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.errors import StaleBatchError

__all__ = ["BufferPool"]

_DS_FIELDS = ("features", "labels", "features_mask", "labels_mask")
_MDS_FIELDS = ("features", "labels", "features_masks", "labels_masks")


class _Slot:
    __slots__ = ("generation", "batch")

    def __init__(self) -> None:
        self.generation = 0
        self.batch: Any = None  # the pooled batch it holds, until recycled

    def recycle(self) -> None:
        """Invalidate the batch held here and drop its arrays (called under the pool lock)."""
        self.generation += 1
        batch, self.batch = self.batch, None
        if batch is not None:
            batch._release()


def _guarded_class(cls: type[DataSet] | type[MultiDataSet], fields: tuple[str, ...]) -> Any:
    """A subclass of ``cls`` whose array fields check the slot generation on access.

    Typed Any: ``type()`` builds it at run time, with members (``_pool_ref``,
    ``detach``) that no static class declares.
    """

    def field(name: str) -> property:
        raw = getattr(cls, name)  # the base class's slot descriptor

        def get(self: Any) -> Any:
            self._check()
            return raw.__get__(self, cls)

        def put(self: Any, value: Any) -> None:
            raw.__set__(self, value)

        return property(get, put, doc=f"{name}; raises StaleBatchError once recycled")

    def _check(self: Any) -> None:
        slot, gen, index = self._pool_ref
        if slot.generation != gen:
            raise StaleBatchError(
                f"this {cls.__name__} (batch {index} of its epoch) was recycled: its "
                f"buffer slot has moved on to a later batch; with reuse_buffers=True a "
                f"batch is valid until queue_size + 1 more batches are requested; call "
                f"detach() on batches you keep longer"
            )

    def detach(self: Any) -> Any:
        """A copy that owns its memory, valid forever (an ordinary DataSet)."""
        return cls.copy(self)

    def release(self: Any) -> None:
        for name in fields:  # the slot moved on: let the arrays go
            getattr(cls, name).__set__(self, None)

    def is_valid(self: Any) -> bool:
        """Whether the slot still holds this batch."""
        slot, gen, _ = self._pool_ref
        return slot.generation == gen

    ns: dict[str, Any] = {name: field(name) for name in fields}
    ns.update(
        __slots__=("_pool_ref",),
        _check=_check,
        detach=detach,
        is_valid=is_valid,
        _release=release,
        __doc__=f"A {cls.__name__} living in a recycled buffer slot.",
    )
    return type(f"Pooled{cls.__name__}", (cls,), ns)


PooledDataSet = _guarded_class(DataSet, _DS_FIELDS)
PooledMultiDataSet = _guarded_class(MultiDataSet, _MDS_FIELDS)


class BufferPool:
    """``S`` slots, handed out by batch index, with producer back-pressure.

    A producer filling batch ``j`` waits until slot ``j % S`` is free, that is until the
    consumer has asked for batch ``j - S + V`` (which recycled the slot).
    """

    def __init__(self, valid_window: int, producers: int) -> None:
        self.valid_window = valid_window
        self.size = valid_window + producers
        self._slots = [_Slot() for _ in range(self.size)]
        self._cond = threading.Condition()
        self._asked = -1  # the highest batch index the consumer has asked for
        self._closed = False

    def start_epoch(self) -> None:
        """Invalidate every outstanding batch and let producers start from batch 0."""
        with self._cond:
            for s in self._slots:
                s.recycle()
            self._asked = -1
            self._closed = False

    def close(self) -> None:
        """Wake producers waiting for a slot (they then stop)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def asked(self, index: int) -> None:
        """The consumer asks for batch ``index``: batch ``index - V`` goes stale."""
        with self._cond:
            old = index - self.valid_window
            if old >= 0:
                self._slots[old % self.size].recycle()
            self._asked = index
            self._cond.notify_all()

    def fill(self, index: int, batch: Any) -> Any:
        """Put ``batch`` (batch ``index``) in its slot, once free; returns the pooled batch.

        The pooled batch shares ``batch``'s arrays.  Raises RingClosed when the pool is
        closed while waiting (the producer then ends).
        """
        if isinstance(batch, MultiDataSet):
            out = PooledMultiDataSet.__new__(PooledMultiDataSet)
            for f in _MDS_FIELDS:
                arrs = getattr(batch, f)
                setattr(out, f, None if arrs is None else list(arrs))
        else:
            out = PooledDataSet.__new__(PooledDataSet)
            for f in _DS_FIELDS:
                setattr(out, f, getattr(batch, f))
            out.label_names = batch.label_names
        out.example_metadata = batch.example_metadata
        with self._cond:
            while not (index < self.size or self._asked >= index - self.size + self.valid_window):
                if self._closed:
                    raise RingClosed("pool closed")
                self._cond.wait()
            if self._closed:
                raise RingClosed("pool closed")
            slot = self._slots[index % self.size]
            out._pool_ref = (slot, slot.generation, index)
            slot.batch = out
        return out
