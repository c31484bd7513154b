"""MultiDataSet normalizers: one set of statistics per input and per output array.

MultiNormalizerStandardize and MultiNormalizerMinMaxScaler treat every input alike (and
every output, with ``fit_label(True)``); MultiNormalizerHybrid picks a strategy per
index: a global default for inputs and for outputs, overridden index by index.
"""

from __future__ import annotations

import os
from contextlib import closing
from typing import Any

import numpy as np

from fastiter._validate import is_int
from fastiter.dataset import MultiDataSet
from fastiter.preprocessing._inplace import batches_of, writable_float
from fastiter.preprocessing._io import load_as, register, write_document
from fastiter.preprocessing._strategy import (
    MinMaxStrategy,
    StandardizeStrategy,
    stats_from_dict,
    strategy_from_dict,
)

__all__ = [
    "MultiNormalizerStandardize",
    "MultiNormalizerMinMaxScaler",
    "MultiNormalizerHybrid",
    "MULTI_NORMALIZERS",
]

_SIDES = (("features", "features_masks", "input"), ("labels", "labels_masks", "output"))


class _MultiNormalizer:
    """Per-index fit / transform / revert / save; subclasses choose the strategies."""

    def __init__(self) -> None:
        self._stats: dict[str, dict[int, Any]] | None = None

    def _strategy_for(self, side: str, index: int) -> Any:
        raise NotImplementedError

    def is_fit(self) -> bool:
        """Whether statistics exist."""
        return self._stats is not None

    def fit(self, data: Any) -> None:
        """Fit on one MultiDataSet, a MultiDataSet iterator (one pass) or an iterable."""
        accs: dict[str, dict[int, Any]] | None = None
        shape: tuple[int, int] | None = None
        with closing(batches_of(data, self, MultiDataSet)) as batches:
            for b, mds in enumerate(batches):
                counts = (len(mds.features), len(mds.labels))
                if accs is None or shape is None:  # the first batch sets both
                    shape, accs = counts, self._new_accumulators(mds)
                elif counts != shape:
                    raise ValueError(
                        f"batch {b} has {counts[0]} inputs and {counts[1]} outputs, "
                        f"the first batch had {shape[0]} and {shape[1]}"
                    )
                for attr, mattr, side in _SIDES:
                    masks = getattr(mds, mattr)
                    for i, acc in accs[side].items():
                        acc.add(
                            getattr(mds, attr)[i],
                            None if masks is None else masks[i],
                            f"{attr}[{i}] of batch {b}",
                        )
        if accs is None:
            raise ValueError("fit got no MultiDataSet: the iterator or iterable was empty")
        self._stats = {
            side: {
                i: self._strategy_for(side, i).build(acc, f"{side} {i}")
                for i, acc in accs[side].items()
            }
            for side in accs
        }

    def _new_accumulators(self, mds: MultiDataSet) -> dict[str, dict[int, Any]]:
        out: dict[str, dict[int, Any]] = {}
        for attr, _, side in _SIDES:
            out[side] = {}
            for i in range(len(getattr(mds, attr))):
                strategy = self._strategy_for(side, i)
                if strategy is not None:
                    out[side][i] = strategy.new_accumulator()
        return out

    def _require_fit(self) -> dict[str, dict[int, Any]]:
        if self._stats is None:
            raise RuntimeError(
                f"{type(self).__name__} is not fitted: call fit(...) before transform or revert"
            )
        return self._stats

    def _run(self, mds: MultiDataSet, op: str) -> None:
        if not isinstance(mds, MultiDataSet):
            raise TypeError(f"{type(self).__name__} needs a MultiDataSet, got {type(mds).__name__}")
        stats = self._require_fit()
        for attr, mattr, side in _SIDES:
            arrays, masks = getattr(mds, attr), getattr(mds, mattr)
            for i in range(len(arrays)):
                strategy = self._strategy_for(side, i)
                if strategy is None:
                    continue
                if i not in stats[side]:
                    raise ValueError(
                        f"{attr}[{i}] has no fitted statistics: the data fitted "
                        f"on had {len(stats[side])} {side} arrays"
                    )
                arrays[i] = writable_float(arrays[i], f"{attr}[{i}]")
                getattr(strategy, op)(
                    arrays[i], None if masks is None else masks[i], stats[side][i], f"{attr}[{i}]"
                )

    def pre_process(self, mds: MultiDataSet) -> None:
        """Normalize ``mds`` in place, array by array."""
        self._run(mds, "apply")

    def transform(self, mds: MultiDataSet) -> MultiDataSet:
        """Normalize ``mds`` in place and return it."""
        self._run(mds, "apply")
        return mds

    def revert(self, mds: MultiDataSet) -> None:
        """Undo :meth:`pre_process` in place."""
        self._run(mds, "revert")

    def _stats_at(self, side: str, index: int) -> Any:
        stats = self._require_fit()[side]
        if index not in stats:
            raise IndexError(f"no statistics for {side} {index}; fitted {side}s: {sorted(stats)}")
        return stats[index]

    # --- saving ---------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {}

    def _set_config(self, config: dict[str, Any]) -> None:
        pass

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> None:
        """Write the configuration and statistics to a JSON file (atomically; no pickle)."""
        stats = self._require_fit()
        state = {
            "config": self._config(),
            "stats": {
                side: {str(i): s.to_dict() for i, s in d.items()} for side, d in stats.items()
            },
        }
        write_document(path, type(self).__name__, state, overwrite)

    def _set_state(self, state: dict[str, Any]) -> None:
        self._set_config(state["config"])
        self._stats = {
            side: {int(i): stats_from_dict(s) for i, s in state["stats"][side].items()}
            for side in ("input", "output")
        }

    @classmethod
    def load(cls, path: str | os.PathLike) -> Any:
        """Read a normalizer written by :meth:`save` (FormatError for a bad file)."""
        return load_as(cls, path)


class _UniformMultiNormalizer(_MultiNormalizer):
    """One strategy for every input, and for every output when labels are fitted."""

    def __init__(self, strategy: Any) -> None:
        super().__init__()
        self._strategy = strategy
        self._fit_labels = False

    def fit_label(self, fit_labels: bool = True) -> None:
        """Also fit and transform the label arrays."""
        self._fit_labels = bool(fit_labels)

    def is_fit_label(self) -> bool:
        """Whether label arrays are fitted and transformed too."""
        return self._fit_labels

    def _strategy_for(self, side: str, index: int) -> Any:
        return self._strategy if side == "input" or self._fit_labels else None

    def num_inputs(self) -> int:
        """How many input arrays have statistics."""
        return len(self._require_fit()["input"])

    def num_outputs(self) -> int:
        """How many output arrays have statistics."""
        return len(self._require_fit()["output"])

    def _config(self) -> dict[str, Any]:
        return {"strategy": self._strategy.to_dict(), "fit_labels": self._fit_labels}

    def _set_config(self, config: dict[str, Any]) -> None:
        self._strategy = strategy_from_dict(config["strategy"])
        self._fit_labels = bool(config["fit_labels"])


class MultiNormalizerStandardize(_UniformMultiNormalizer):
    """Standardize every input array of a MultiDataSet (and outputs with ``fit_label``).

    Examples
    --------
    >>> mds = MultiDataSet([np.array([[1.0], [3.0]]), np.array([[0.0, 5.0], [2.0, 5.0]])],
    ...                    [np.zeros((2, 1))])
    >>> norm = MultiNormalizerStandardize(); norm.fit(mds)
    >>> norm.get_feature_mean(1).tolist(), norm.get_feature_std(0).tolist()
    ([1.0, 5.0], [1.0])
    """

    def __init__(self) -> None:
        super().__init__(StandardizeStrategy())

    def get_feature_mean(self, input: int) -> np.ndarray:
        """Mean of input array ``input``, per feature."""
        return self._stats_at("input", input).mean.copy()

    def get_feature_std(self, input: int) -> np.ndarray:
        """Std of input array ``input``, per feature (>= 1e-5)."""
        return self._stats_at("input", input).std.copy()

    def get_label_mean(self, output: int) -> np.ndarray:
        """Mean of output array ``output`` (needs ``fit_label(True)``)."""
        return self._stats_at("output", output).mean.copy()

    def get_label_std(self, output: int) -> np.ndarray:
        """Std of output array ``output`` (needs ``fit_label(True)``)."""
        return self._stats_at("output", output).std.copy()


class MultiNormalizerMinMaxScaler(_UniformMultiNormalizer):
    """Min-max scale every input array (and outputs with ``fit_label``) to [min, max].

    >>> norm = MultiNormalizerMinMaxScaler(0, 10)
    >>> norm.fit(MultiDataSet([np.array([[2.0], [4.0]])], [np.zeros((2, 1))]))
    >>> mds = MultiDataSet([np.array([[3.0]])], [np.zeros((1, 1))]); norm.pre_process(mds)
    >>> mds.features[0].tolist()
    [[5.0]]
    """

    def __init__(self, min_range: float = 0.0, max_range: float = 1.0) -> None:
        super().__init__(MinMaxStrategy(min_range, max_range))

    def get_feature_min(self, input: int) -> np.ndarray:
        """Fitted minimum of input array ``input``, per feature."""
        return self._stats_at("input", input).lower.copy()

    def get_feature_max(self, input: int) -> np.ndarray:
        """Fitted maximum of input array ``input``, per feature."""
        return self._stats_at("input", input).upper.copy()

    def get_label_min(self, output: int) -> np.ndarray:
        """Fitted minimum of output array ``output``."""
        return self._stats_at("output", output).lower.copy()

    def get_label_max(self, output: int) -> np.ndarray:
        """Fitted maximum of output array ``output``."""
        return self._stats_at("output", output).upper.copy()


class MultiNormalizerHybrid(_MultiNormalizer):
    """A strategy per input and per output index: a global default plus overrides.

    Arrays with neither a global nor a per-index strategy are left alone.  Builder
    methods return ``self`` so they chain, as in DL4J.

    Examples
    --------
    >>> norm = (MultiNormalizerHybrid().standardize_all_inputs()
    ...         .min_max_scale_input(1, -1, 1).min_max_scale_output(0))
    >>> mds = MultiDataSet([np.array([[0.0], [2.0]]), np.array([[0.0], [4.0]])],
    ...                    [np.array([[1.0], [3.0]])])
    >>> norm.fit(mds); norm.pre_process(mds)
    >>> [a.ravel().tolist() for a in mds.features + mds.labels]
    [[-1.0, 1.0], [-1.0, 1.0], [0.0, 1.0]]
    """

    def __init__(self) -> None:
        super().__init__()
        self._global: dict[str, Any] = {"input": None, "output": None}
        self._per: dict[str, dict[int, Any]] = {"input": {}, "output": {}}

    def _strategy_for(self, side: str, index: int) -> Any:
        return self._per[side].get(index, self._global[side])

    def _set(self, side: str, index: int | None, strategy: Any) -> MultiNormalizerHybrid:
        if index is None:
            self._global[side] = strategy
        else:
            if not is_int(index) or index < 0:
                raise ValueError(f"{side} index must be an integer >= 0, got {index!r}")
            self._per[side][int(index)] = strategy
        return self

    def standardize_all_inputs(self) -> MultiNormalizerHybrid:
        """Standardize every input by default."""
        return self._set("input", None, StandardizeStrategy())

    def min_max_scale_all_inputs(
        self, min_range: float = 0.0, max_range: float = 1.0
    ) -> MultiNormalizerHybrid:
        """Min-max scale every input by default."""
        return self._set("input", None, MinMaxStrategy(min_range, max_range))

    def standardize_input(self, input: int) -> MultiNormalizerHybrid:
        """Standardize input ``input`` (overrides the default)."""
        return self._set("input", input, StandardizeStrategy())

    def min_max_scale_input(
        self, input: int, min_range: float = 0.0, max_range: float = 1.0
    ) -> MultiNormalizerHybrid:
        """Min-max scale input ``input`` (overrides the default)."""
        return self._set("input", input, MinMaxStrategy(min_range, max_range))

    def standardize_all_outputs(self) -> MultiNormalizerHybrid:
        """Standardize every output by default."""
        return self._set("output", None, StandardizeStrategy())

    def min_max_scale_all_outputs(
        self, min_range: float = 0.0, max_range: float = 1.0
    ) -> MultiNormalizerHybrid:
        """Min-max scale every output by default."""
        return self._set("output", None, MinMaxStrategy(min_range, max_range))

    def standardize_output(self, output: int) -> MultiNormalizerHybrid:
        """Standardize output ``output`` (overrides the default)."""
        return self._set("output", output, StandardizeStrategy())

    def min_max_scale_output(
        self, output: int, min_range: float = 0.0, max_range: float = 1.0
    ) -> MultiNormalizerHybrid:
        """Min-max scale output ``output`` (overrides the default)."""
        return self._set("output", output, MinMaxStrategy(min_range, max_range))

    def get_input_stats(self, input: int) -> Any:
        """The fitted statistics of an input (DistributionStats or MinMaxStats)."""
        return self._stats_at("input", input)

    def get_output_stats(self, output: int) -> Any:
        """The fitted statistics of an output (DistributionStats or MinMaxStats)."""
        return self._stats_at("output", output)

    def _config(self) -> dict[str, Any]:
        def enc(s: Any) -> Any:
            return None if s is None else s.to_dict()

        return {
            "global": {k: enc(v) for k, v in self._global.items()},
            "per": {k: {str(i): enc(s) for i, s in d.items()} for k, d in self._per.items()},
        }

    def _set_config(self, config: dict[str, Any]) -> None:
        def dec(d: Any) -> Any:
            return None if d is None else strategy_from_dict(d)

        self._global = {k: dec(config["global"][k]) for k in ("input", "output")}
        self._per = {
            k: {int(i): dec(s) for i, s in config["per"][k].items()} for k in ("input", "output")
        }


MULTI_NORMALIZERS = (MultiNormalizerStandardize, MultiNormalizerMinMaxScaler, MultiNormalizerHybrid)

register(MultiNormalizerStandardize)
register(MultiNormalizerMinMaxScaler)
register(MultiNormalizerHybrid)
