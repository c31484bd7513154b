"""Where each example of a file series lives, and in which order an epoch visits them.

The series' files are laid end to end on one *global step* axis.  An example is one
step, or a window of ``window`` steps starting every ``stride`` steps inside a segment
(a continuous run of files; see :mod:`fastiter.netcdf.series`).  Examples are cut into
*blocks* of ``block_steps`` consecutive global steps of starts (across file boundaries:
a block's steps are read file by file into one staging buffer), the unit read at
once; optionally the first blocks ramp up to that size (``first_steps``, doubling), so
the first batch of an epoch in series order waits for a small read.  Blocks are a
function of the files and the options only, never of the epoch or of the access path.
An epoch's order is a pure function of ``(seed, epoch)``: blocks permuted, then the
examples of ``shuffle_buffer`` consecutive blocks (a *group*) mixed, so reads stay
block-sized while the order is shuffled.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fastiter.dataset.order import epoch_permutation

__all__ = ["SeriesPlan", "EpochOrder", "split_by_bounds"]

STAGING_BYTES = 32 << 20  # a block's staged steps stay below this (unless one window is more)


def split_by_bounds(bounds: np.ndarray, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """``[lo, hi)`` cut where ``bounds`` (ascending, from 0) begin a new part.

    Returns ``(part, lo, hi)`` per part touched, in the same coordinates as the input;
    empty parts are skipped.

    >>> split_by_bounds(np.array([0, 3, 3, 7]), 1, 6)
    [(0, 1, 3), (2, 3, 6)]
    """
    out = []
    j = int(np.searchsorted(bounds, lo, side="right") - 1)
    while lo < hi:
        end = min(hi, int(bounds[j + 1]))
        if end > lo:
            out.append((j, lo, end))
        lo, j = end, j + 1
    return out


class SeriesPlan:
    """Examples, blocks and file pieces of a series (independent of the epoch).

    Parameters
    ----------
    lengths : sequence of int
        Steps of each file, in series order.
    segment_starts : sequence of int
        Series positions that begin a continuous run (0 first).
    window, stride : int or None
        Window length (None: one step per example) and the step between starts.
    block_steps : int
        Global steps of example starts per block.
    first_steps : int, optional
        Start with a smaller block of this many steps, doubling block by block up to
        ``block_steps`` (a ramp), so that the first batch of an unshuffled epoch waits
        for a small read rather than a whole block.  None: every block ``block_steps``.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        segment_starts: Sequence[int],
        window: int | None,
        stride: int,
        block_steps: int,
        first_steps: int | None = None,
    ) -> None:
        self.lengths = np.asarray(lengths, np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)])
        self.span = 1 if window is None else int(window)
        bounds = list(segment_starts) + [len(self.lengths)]
        starts = []
        for a, b in zip(bounds, bounds[1:]):
            lo, hi = int(self.offsets[a]), int(self.offsets[b])
            step = 1 if window is None else stride
            starts.append(np.arange(lo, hi - self.span + 1, step, dtype=np.int64))
        #: global first step of every example, in natural order
        self.starts = np.concatenate(starts) if starts else np.empty(0, np.int64)
        key = self._block_keys(self.starts, int(block_steps), first_steps)
        cut = np.flatnonzero(np.diff(key)) + 1 if key.size else np.empty(0, np.int64)
        #: example index where each block begins, then the total
        self.block_bounds = np.concatenate([[0], cut, [key.size]]).astype(np.int64)

    @staticmethod
    def _block_keys(starts: np.ndarray, full: int, first: int | None) -> np.ndarray:
        """The block of every start: blocks of ``first`` steps, doubling up to ``full``,
        from global step 0, then ``full`` steps each (uniform without ``first``)."""
        full = max(full, 1)
        edges, end, size = [0], 0, max(int(first or full), 1)
        while size < full:
            end += size
            edges.append(end)
            size *= 2
        ramp = np.asarray(edges[:-1], np.int64)
        tail = (starts - end) // full + ramp.size
        return np.where(starts < end, np.searchsorted(ramp, starts, side="right") - 1, tail)

    @property
    def num_examples(self) -> int:
        return int(self.starts.size)

    @property
    def num_blocks(self) -> int:
        return int(self.block_bounds.size - 1)

    def block_span(self, b: int) -> tuple[int, int]:
        """Global steps ``[lo, hi)`` that block ``b``'s examples cover."""
        lo, hi = self.block_bounds[b], self.block_bounds[b + 1]
        return int(self.starts[lo]), int(self.starts[hi - 1]) + self.span

    def pieces(self, lo: int, hi: int) -> list[tuple[int, int, int]]:
        """Global steps ``[lo, hi)`` as ``(series position, local lo, local hi)``."""
        return [
            (j, a - int(self.offsets[j]), b - int(self.offsets[j]))
            for j, a, b in split_by_bounds(self.offsets, lo, hi)
        ]


class EpochOrder:
    """The examples of one epoch in visiting order, and the group each belongs to.

    ``examples[p]`` is the example at epoch position ``p``; ``groups[g]`` lists the
    blocks of group ``g``; ``group_bounds`` are the epoch positions where groups begin.
    """

    def __init__(
        self, plan: SeriesPlan, shuffle: bool, seed: int | None, epoch: int, shuffle_buffer: int
    ) -> None:
        nb = plan.num_blocks
        if not shuffle:
            self.examples = np.arange(plan.num_examples, dtype=np.int64)
            self.groups = [[b] for b in range(nb)]
        else:
            assert seed is not None, "a shuffled order is keyed by seed_key's int"
            blocks = epoch_permutation(nb, int(seed), epoch)
            self.groups = [
                [int(b) for b in blocks[i : i + shuffle_buffer]]
                for i in range(0, nb, shuffle_buffer)
            ]
            parts = []
            for g, members in enumerate(self.groups):
                ids = np.concatenate(
                    [np.arange(plan.block_bounds[b], plan.block_bounds[b + 1]) for b in members]
                )
                ss = np.random.SeedSequence([int(seed), epoch, g + 1])
                parts.append(ids[np.random.Generator(np.random.PCG64(ss)).permutation(ids.size)])
            self.examples = (
                np.concatenate(parts).astype(np.int64) if parts else np.empty(0, np.int64)
            )
        sizes = [
            sum(int(plan.block_bounds[b + 1] - plan.block_bounds[b]) for b in m)
            for m in self.groups
        ]
        self.group_bounds = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])

    def groups_of(self, lo: int, hi: int) -> list[tuple[int, int, int]]:
        """Epoch positions ``[lo, hi)`` split by group: ``(group, lo, hi)``."""
        return split_by_bounds(self.group_bounds, lo, hi)
