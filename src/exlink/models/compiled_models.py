"""Compiled models kept for reuse: a refit of the same structure does not compile again.

Compiling a chain model for nutpie (PyTensor's graph rewrites, then Numba)
costs seconds on a small chain and tens of seconds on a large one, while
sampling a refit with fewer draws may cost less. Refits often have the same
structure as a model compiled moments before: the placebo checks in time and in
space refit one sub-chain with different placebo rollouts; a script fits one
chain to several panels of the same shape. Here such a refit takes the compiled
model and swaps in its own data (``CompiledPyMCModel.with_data``).

Two models share a compiled model only when they are the same computation
apart from their data containers (``pm.Data``): coordinates of the same
lengths, the same dimensions and variables, and log density and derived
quantities that PyTensor's :func:`~pytensor.graph.basic.equal_computations`
finds equal, with every constant equal, value for value. Their starting
points, which nutpie jitters, must agree as well, and so must any data a
starting point is computed from: nutpie's function for the starting point
keeps the data of the model it was compiled for. Anything else compiles
afresh. The draws are the draws a fresh compilation gives: same data, same
seed, same numbers.

Coordinate labels are not part of the computation: a rolling window (the same
units, later periods) or a data set with other unit names reuses the compiled
model too. nutpie writes the labels it was compiled with into the trace, so
:func:`relabel` gives the trace the sampled model's own labels afterwards.

The most recently used :data:`CAPACITY` compiled models are kept, per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from pymc.initial_point import make_initial_point_expression
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable, equal_computations
from pytensor.graph.traversal import graph_inputs
from pytensor.tensor.random.type import RandomType

CAPACITY = 4
"""How many compiled models a process keeps for reuse."""


@dataclass
class _Entry:
    compiled: Any
    outputs: list[Variable]
    inputs: list[Variable]
    start: dict[str, np.ndarray]
    start_data: dict[str, np.ndarray]


class CompiledModels:
    """The compiled models of recent fits, looked up by the computation they perform.

    Parameters
    ----------
    capacity
        How many compiled models to keep; the least recently used goes first.

    Attributes
    ----------
    hits, misses
        How many requests reused a compiled model, and how many compiled one.
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, list[_Entry]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._entries.values())

    def clear(self) -> None:
        """Forget every compiled model, and reset the counts of hits and misses."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def compile(self, model: pm.Model) -> Any:
        """The model compiled for nutpie (Numba), reused when an equal one was compiled.

        Parameters
        ----------
        model
            The PyMC model to sample.

        Returns
        -------
        nutpie.compiled_pyfunc.CompiledPyMCModel
            Holding ``model``'s data.
        """
        import nutpie

        outputs, inputs = _computation(model)
        names = [v.name for v in inputs]
        if None in names or len(set(names)) < len(names):
            # Data swapped by name needs unique names.
            return nutpie.compile_pymc_model(model, backend="numba")
        key = _signature(model, inputs)
        start = model.initial_point(random_seed=0)
        start_data = _start_data(model)
        with self._lock:
            entries = self._entries.get(key, [])
            for entry in entries:
                if _same(entry, outputs, inputs, start, start_data):
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return _with_data(entry.compiled, inputs)
        compiled = nutpie.compile_pymc_model(model, backend="numba")
        with self._lock:
            self.misses += 1
            self._entries.setdefault(key, []).append(
                _Entry(compiled, outputs, inputs, start, start_data)
            )
            self._entries.move_to_end(key)
            while len(self) > self.capacity:
                oldest = next(iter(self._entries))
                self._entries[oldest].pop(0)
                if not self._entries[oldest]:
                    del self._entries[oldest]
        return compiled


COMPILED = CompiledModels()
"""This process's compiled models."""


def _signature(model: pm.Model, inputs: list[Variable]) -> Hashable:
    """What two models must share to be compared at all: names, shapes, coordinate lengths.

    Labels are left out: they never enter the computation (:func:`relabel`).
    """
    coords = tuple(
        (name, None if values is None else len(values)) for name, values in model.coords.items()
    )
    dims = tuple(sorted((k, tuple(v)) for k, v in model.named_vars_to_dims.items()))
    values = tuple((v.name, str(v.type)) for v in model.value_vars)
    named = tuple(
        tuple(v.name for v in group)
        for group in (model.free_RVs, model.observed_RVs, model.deterministics)
    )
    data = tuple(
        (v.name, str(v.type), np.shape(v.get_value()))
        for v in inputs
        if isinstance(v, SharedVariable)
    )
    return coords, dims, values, named, data


TRACE_GROUPS = ("posterior", "sample_stats", "warmup_posterior", "warmup_sample_stats")
"""The groups of nutpie's trace whose coordinates come from the compiled model."""


def relabel(idata: xr.DataTree, model: pm.Model) -> xr.DataTree:
    """The trace with ``model``'s coordinate labels.

    A compiled model reused for ``model`` writes the labels of the model it
    was compiled for (other units, other periods) into the trace: here each
    dimension of ``model`` takes ``model``'s own labels, as a fresh compile
    would have written them. Values and attributes are unchanged.

    Parameters
    ----------
    idata
        nutpie's trace of ``model``.
    model
        The model sampled.

    Returns
    -------
    xarray.DataTree
        ``idata``, changed in place where a label differed.
    """
    labels = {name: pd.Index(values) for name, values in model.coords.items() if values is not None}
    for group in TRACE_GROUPS:
        if group not in idata.children:
            continue
        dataset = idata[group].to_dataset()
        changed = {
            name: index
            for name, index in labels.items()
            if name in dataset.dims and not dataset.get_index(name).equals(index)
        }
        if changed:
            idata[group] = xr.DataTree(dataset.assign_coords(changed))
    return idata


def _computation(model: pm.Model) -> tuple[list[Variable], list[Variable]]:
    """The graphs nutpie compiles (log density, derived quantities) and their inputs."""
    outputs = [model.logp(), *model.unobserved_value_vars]
    shared = sorted(
        {v for v in graph_inputs(outputs) if isinstance(v, SharedVariable)},
        key=lambda v: v.name or "",
    )
    return outputs, [*model.value_vars, *shared]


def _start_data(model: pm.Model) -> dict[str, np.ndarray]:
    """The values of the data containers the model's jittered starting point reads."""
    expressions = make_initial_point_expression(
        free_rvs=model.free_RVs,
        rvs_to_transforms=model.rvs_to_transforms,
        initval_strategies=model.rvs_to_initial_values,
        jitter_rvs=set(model.free_RVs),
        return_transformed=True,
    )
    return {
        v.name: np.asarray(v.get_value())
        for v in graph_inputs(expressions)
        if isinstance(v, SharedVariable) and not isinstance(v.type, RandomType)
    }


def _with_data(compiled: Any, inputs: list[Variable]) -> Any:
    """The compiled model holding the values of ``inputs``'s data containers.

    A container the compiled functions do not read (the rewrites left it out)
    has nothing to swap.
    """
    read = {v.name for v in compiled.shared_var_keys}
    data = {
        v.name: v.get_value() for v in inputs if isinstance(v, SharedVariable) and v.name in read
    }
    return compiled.with_data(**data)


def _same(
    entry: _Entry,
    outputs: list[Variable],
    inputs: list[Variable],
    start: dict[str, np.ndarray],
    start_data: dict[str, np.ndarray],
) -> bool:
    if len(entry.inputs) != len(inputs) or len(entry.outputs) != len(outputs):
        return False
    if not _equal_values(entry.start, start) or not _equal_values(entry.start_data, start_data):
        return False
    return equal_computations(entry.outputs, outputs, in_xs=entry.inputs, in_ys=inputs)


def _equal_values(left: dict[str, np.ndarray], right: dict[str, np.ndarray]) -> bool:
    return left.keys() == right.keys() and all(
        np.array_equal(left[name], right[name]) for name in left
    )
