"""An IterableDataset over a fastiter iterator: epochs, sharding and resumable state.

Epochs across worker processes
------------------------------
``__iter__`` runs once per epoch in every DataLoader worker (or in the main process with
``num_workers=0``), and all workers of one epoch must agree on the epoch number, since
it fixes the shuffle.  Non-persistent workers are fresh copies of the main process's
dataset every epoch, so a counter in Python memory would never move.  The dataset holds
instead a small shared-memory table (shared with the workers whether they are forked
or spawned): row ``k`` is worker ``k``'s next epoch and the loader run (torch's base
seed) that last advanced it.  Worker ``k`` takes its row's epoch and advances it; with
the same ``num_workers`` every epoch the rows move in step.  A worker that finds a peer
row neither at its epoch nor advanced by this same run (``num_workers`` changed, or an
earlier run was stopped before all its workers started) refuses loudly instead of
shuffling differently from its peers; ``set_epoch(e)`` sets every row.  A main-process
epoch continues from the furthest row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from fastiter._validate import is_int
from fastiter.interop import batch_tensors, require
from fastiter.iterators.shard import shard_indices
from fastiter.torch._workers import configure_worker_threads

_torch = require("torch")

__all__ = ["IterableDataset"]

#: worker slots in the shared epoch table (DataLoader workers per loader, at most)
MAX_WORKERS = 256
_STATE_TYPE = "fastiter.torch.IterableDataset"
#: room for a restored base iterator state (JSON) in shared memory
RESTORE_BYTES = 1 << 16


def _retarget(state: dict[str, Any], epoch: int) -> dict[str, Any]:
    """A copy of an iterator's state moved to the start of ``epoch``: nested wrapper
    states (``"base"``) keep their offset from the outer epoch."""
    out = dict(state)
    delta = epoch - int(state.get("epoch", 0))
    out["epoch"], out["position"] = epoch, 0
    if isinstance(state.get("base"), dict):
        inner = _retarget(state["base"], int(state["base"].get("epoch", 0)) + delta)
        out["base"] = inner
    return out


# a name mypy can take as a base class (torch comes in through require(), typed Any)
_TorchIterableDataset: Any = _torch.utils.data.IterableDataset


class IterableDataset(_TorchIterableDataset):
    """Serve a fastiter iterator's batches to ``torch.utils.data.DataLoader``.

    Each ``__iter__`` is a new epoch: the epoch advances and the base iterator's shuffle
    is re-derived from ``(seed, epoch)``, in the main process and in every worker alike.
    Call :meth:`set_epoch` before each epoch (as with ``DistributedSampler``) to make
    the epoch explicit, e.g. when ranks may run different numbers of loops.

    Rank ``r`` of ``world_size`` takes batches ``r, r + world_size, ...`` of each epoch
    (as ``iterator.shard``), and DataLoader worker ``w`` of ``W`` every ``W``-th of those,
    so every batch is produced exactly once across ranks and workers.  Ranks must build
    the iterator with the same explicit seed.  Use ``DataLoader(ds, batch_size=None)``:
    fastiter already batches.  Batches are dicts of tensors that share memory with the
    numpy batch (DLPack) and hold no None values (absent masks are left out), so any
    ``batch_size`` also works with the default collate.

    ``state_dict()`` / ``load_state_dict()`` follow torchdata's ``Stateful`` protocol, so
    ``StatefulDataLoader`` checkpoints and resumes it, workers included.

    Parameters
    ----------
    iterator : fastiter iterator
        Must be ``indexable`` (random access) when there is more than one rank or
        worker; otherwise each would read every batch.
    rank, world_size : int, optional
        This process's place among distributed ranks; default from
        ``torch.distributed`` when it is initialised, else ``0`` and ``1``.
    convert : callable, optional
        Turns a batch into what the loader yields (default:
        :func:`fastiter.interop.batch_tensors`).

    Examples
    --------
    >>> import numpy as np, torch, fastiter
    >>> from fastiter.torch import IterableDataset
    >>> it = fastiter.ArrayDataSetIterator(np.arange(8.0)[:, None], batch_size=2,
    ...                                    shuffle=True, seed=0)
    >>> ds = IterableDataset(it)
    >>> loader = torch.utils.data.DataLoader(ds, batch_size=None)
    >>> len(loader)
    4
    >>> a = [v for b in loader for v in b["features"][:, 0].tolist()]
    >>> b = [v for b in loader for v in b["features"][:, 0].tolist()]
    >>> a != b and sorted(a) == sorted(b) == [float(i) for i in range(8)]
    True
    """

    def __init__(
        self,
        iterator: Any,
        rank: int | None = None,
        world_size: int | None = None,
        convert: Callable[[Any], Any] = batch_tensors,
    ) -> None:
        super().__init__()
        dist = _torch.distributed
        initialised = dist.is_available() and dist.is_initialized()
        self.rank = rank if rank is not None else (dist.get_rank() if initialised else 0)
        self.world_size = (
            world_size if world_size is not None else (dist.get_world_size() if initialised else 1)
        )
        shard_indices(0, self.rank, self.world_size)  # validates rank/world_size early
        for name in ("state_dict", "load_state_dict"):
            if not callable(getattr(iterator, name, None)):
                raise TypeError(
                    f"iterator must be a fastiter iterator (with {name}()), "
                    f"got {type(iterator).__name__}"
                )
        self.iterator = iterator
        self.convert = convert
        first = int(iterator.state_dict().get("epoch", 0))
        # [next epoch, run token] per worker; shared memory, so workers' writes are seen
        self._table = _torch.zeros((MAX_WORKERS, 2), dtype=_torch.int64)
        self._table[:, 0] = first
        self._table.share_memory_()
        # the base iterator's restored state (its seed), as JSON, for the workers of later
        # epochs: they are copies of this process's dataset, which never saw the restore
        self._restored = _torch.zeros(RESTORE_BYTES + 8, dtype=_torch.uint8).share_memory_()
        self._pending: dict[str, Any] | None = None
        self._live: dict[str, Any] | None = None

    # --- epochs -------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Make the next ``__iter__`` (in every worker) epoch ``epoch``; later ones follow.

        As ``DistributedSampler.set_epoch``: calling it with the loop counter before
        each epoch keeps every rank on the same shuffle.
        """
        if not is_int(epoch) or epoch < 0:
            raise ValueError(f"epoch must be an int >= 0, got {epoch!r}")
        self._table[:, 1] = -1
        self._table[:, 0] = epoch
        self._pending = None

    @property
    def epoch(self) -> int:
        """The epoch the next main-process ``__iter__`` will use."""
        return int(self._table[:, 0].max())

    def _workers(self) -> tuple[int, int]:
        info = _torch.utils.data.get_worker_info()
        return (1, 0) if info is None else (info.num_workers, info.id)

    def _claim(self, workers: int, worker: int, token: int | None) -> int:
        table = self._table
        if token is None:  # the main process: no peers
            epoch = int(table[:, 0].max())
            self._advance(slice(None), epoch + 1, -1)
            return epoch
        if workers > MAX_WORKERS:
            raise ValueError(
                f"fastiter.torch.IterableDataset supports at most "
                f"{MAX_WORKERS} DataLoader workers, got {workers}"
            )
        epoch = int(table[worker, 0])
        peers = table[:workers].tolist()
        if any(not (n == epoch or (n == epoch + 1 and tok == token)) for n, tok in peers):
            raise RuntimeError(
                f"DataLoader worker {worker} is at epoch {epoch} but its "
                f"peers' next epochs are {[n for n, _ in peers]}: "
                f"num_workers changed, or an earlier loop over this "
                f"dataset stopped before all its workers started. Call "
                f"set_epoch(e) on the dataset before iterating again"
            )
        self._advance(worker, epoch + 1, token)
        return epoch

    def _advance(self, rows: Any, next_epoch: int, token: int) -> None:
        # the token first: a peer that sees the new epoch then also sees this run's token
        self._table[rows, 1] = token
        self._table[rows, 0] = next_epoch

    def _share_restored(self, state: dict[str, Any]) -> None:
        data = json.dumps(state).encode()
        if len(data) > RESTORE_BYTES:
            raise ValueError(
                f"the iterator's state takes {len(data)} bytes as JSON, more "
                f"than the {RESTORE_BYTES} this dataset shares with workers"
            )
        buf = self._restored.numpy()
        buf[8 : 8 + len(data)] = np.frombuffer(data, np.uint8)
        buf[:8] = np.frombuffer(len(data).to_bytes(8, "little"), np.uint8)  # length last

    def _shared_restored(self) -> dict[str, Any] | None:
        buf = self._restored.numpy()
        n = int.from_bytes(buf[:8].tobytes(), "little")
        return json.loads(buf[8 : 8 + n].tobytes()) if n else None

    # --- sharding -----------------------------------------------------------------
    def _indices(self, num_batches: int, workers: int, worker: int) -> range:
        return shard_indices(num_batches, self.rank, self.world_size)[worker::workers]

    def __len__(self) -> int:
        """Batches this rank (in the main process) or this worker (in a DataLoader
        worker) yields per epoch; TypeError when the base does not know its length."""
        n = self.iterator.num_batches()
        workers, worker = self._workers()
        return len(self._indices(n, workers, worker))

    # --- iteration ----------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        configure_worker_threads()
        workers, worker = self._workers()
        info = _torch.utils.data.get_worker_info()
        shards = self.world_size * workers
        it = self.iterator
        if shards > 1 and not getattr(it, "indexable", False):
            raise ValueError(
                f"{type(it).__name__} is not indexable, so it cannot be split "
                f"across {shards} workers/ranks without every shard reading "
                f"everything; use num_workers=0 and world_size=1, or an "
                f"indexable iterator"
            )
        shard = [self.rank, self.world_size, worker, workers]
        # torch draws one base seed per loader run and gives worker w base + w
        token = None if info is None else (int(info.seed) - worker) & ((1 << 62) - 1)
        pending, self._pending = self._pending, None
        if pending is not None:
            if pending.get("shard") not in (None, shard):
                raise ValueError(
                    f"the state was saved by shard (rank, world_size, worker, "
                    f"num_workers) = {pending['shard']}, but it is loaded into "
                    f"{shard}; resume with the same ranks and num_workers"
                )
            epoch, start = int(pending["epoch"]), int(pending["position"])
            if pending.get("iterator") is not None:
                self._share_restored(pending["iterator"])
            rows = slice(None) if info is None else worker
            self._advance(rows, epoch + 1, -1 if token is None else token)
        else:
            epoch, start = self._claim(workers, worker, token), 0
        restored = self._shared_restored()
        if restored is not None:
            it.load_state_dict(_retarget(restored, epoch))
        now = it.state_dict()
        if int(now.get("epoch", 0)) != epoch or int(now.get("position", 0)) != 0:
            it.load_state_dict(_retarget(now, epoch))  # re-derives the epoch's shuffle
        live = self._live = {
            "type": _STATE_TYPE,
            "epoch": epoch,
            "position": start,
            "shard": shard,
            "iterator": _retarget(it.state_dict(), epoch),
        }
        if getattr(it, "indexable", False):
            indices = self._indices(it.num_batches(), workers, worker)
            if start > len(indices):
                raise ValueError(
                    f"state position {start} is past this shard's {len(indices)} batches"
                )
            return self._indexed(indices[start:], live)
        return self._sequential(start, live)

    def _indexed(self, indices: range, live: dict[str, Any]) -> Iterator[Any]:
        it, convert = self.iterator, self.convert
        for i in indices:
            batch = it.batch_at(i)
            live["position"] += 1  # before the yield: the state includes this batch
            yield convert(batch)

    def _sequential(self, start: int, live: dict[str, Any]) -> Iterator[Any]:
        it, convert = self.iterator, self.convert
        for _ in range(start):  # replay: a stream has no random access
            if not it.has_next():
                raise ValueError(f"state position {start} is past the end of the epoch")
            it.next()
        while it.has_next():
            batch = it.next()
            live["position"] += 1
            yield convert(batch)

    # --- torchdata's Stateful protocol --------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Where this process's iteration stands: epoch, batches yielded by this shard,
        the shard, and the base iterator's state (its seed) at the epoch's start.

        Before any iteration: the start of the next epoch.  JSON-safe.
        """
        if self._pending is not None:
            return dict(self._pending)
        if self._live is not None:
            return dict(self._live)
        base = self._shared_restored() or self.iterator.state_dict()
        return {
            "type": _STATE_TYPE,
            "epoch": self.epoch,
            "position": 0,
            "shard": None,
            "iterator": _retarget(base, self.epoch),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Make the next ``__iter__`` resume at ``state``: its epoch, after its batches."""
        if not isinstance(state, dict) or state.get("type") != _STATE_TYPE:
            raise ValueError(
                f"state must be a dict from fastiter.torch.IterableDataset."
                f"state_dict(), got {state!r}"
            )
        missing = [k for k in ("epoch", "position") if k not in state]
        if missing:
            raise ValueError(f"state is missing {missing}")
        if int(state["epoch"]) < 0 or int(state["position"]) < 0:
            raise ValueError(f"state epoch and position must be >= 0, got {state}")
        self._pending = dict(state)
        self._live = None
