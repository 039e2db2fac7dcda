"""Choosing and running a NUTS sampler, with arithmetic that does not depend on caches.

Same data, chain, priors and seed give bit-identical draws, in any process,
whether PyTensor's compiled-function cache is cold or warm. PyTensor compiles
with Numba under ``fastmath`` by default, which lets LLVM reorder and fuse
floating-point operations. A function compiled whole (cold cache) and one
assembled from cached pieces (warm cache) then round differently in the last
bit. NUTS amplifies a last-bit difference into different trajectories, so two
fits with one seed gave effect means 0.1 apart. The sampler's compilation
therefore runs under :func:`exact_arithmetic`: IEEE arithmetic in program order.

Prior and posterior predictive draws and predictions are compiled in
:data:`FORWARD_MODE`, PyTensor's Python linker, which compiles nothing: Numba
took longer to compile such a function than PyTensor takes to run it for the
few hundred draws these calls use (on the bundled bank, 500 posterior
predictive draws took 4.3 s against 12.6 s with a warm Numba cache and 31.8 s
with a cold one; 500 prior predictive draws 6.9 s against 30.5 s and 56.6 s).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import time
from collections.abc import Iterator

import numpy as np
import pymc as pm
import pytensor
import xarray as xr

from exlink.models.compiled_models import COMPILED, relabel

FORWARD_MODE = "FAST_COMPILE"
"""PyTensor mode of the predictive draws and predictions exlink compiles (see above)."""
SAMPLERS = ("auto", "nutpie", "pymc", "numpyro")
_NEEDS = {"nutpie": ("nutpie",), "numpyro": ("numpyro", "jax"), "pymc": ()}
_INSTALL = {"nutpie": "pip install nutpie", "numpyro": "pip install 'exlink[jax]'"}


def resolve_sampler(sampler: str) -> str:
    """The NUTS backend to use: nutpie where installed for ``"auto"``, else as named.

    Parameters
    ----------
    sampler
        ``"auto"``, ``"nutpie"``, ``"pymc"`` or ``"numpyro"``.
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; choose from {', '.join(SAMPLERS)}.")
    if sampler == "auto":
        return "nutpie" if _installed("nutpie") else "pymc"
    missing = [m for m in _NEEDS[sampler] if not _installed(m)]
    if missing:
        raise ImportError(
            f"sampler {sampler!r} needs {', '.join(missing)}, which is not installed: "
            f"{_INSTALL[sampler]}, or use sampler='auto'."
        )
    return sampler


@contextlib.contextmanager
def quiet_forward_sampling() -> Iterator[None]:
    """Hide PyMC's ``Sampling: [...]`` line of predictive sampling done on the user's behalf."""
    forward_log = logging.getLogger("pymc.sampling.forward")
    level = forward_log.level
    forward_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        forward_log.setLevel(level)


@contextlib.contextmanager
def exact_arithmetic() -> Iterator[None]:
    """Compile PyTensor functions without ``fastmath``, so results do not depend on caches.

    Only the functions compiled inside the block are affected; the user's own
    PyTensor settings apply elsewhere.
    """
    with pytensor.config.change_flags(numba__fastmath=False):
        yield


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def run_sampler(
    model: pm.Model,
    *,
    draws: int,
    tune: int,
    chains: int,
    sampler: str,
    random_seed: int | None,
    progressbar: bool,
    **kwargs,
) -> xr.DataTree:
    """Sample a model's posterior with the chosen NUTS backend."""
    for name, value in (("draws", draws), ("tune", tune), ("chains", chains)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < (1 if name != "tune" else 0)
        ):
            raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    backend = resolve_sampler(sampler)
    if backend == "nutpie" and set(kwargs) <= set(_NUTPIE_OPTIONS):
        return _sample_nutpie(
            model,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            progressbar=progressbar,
            **kwargs,
        )
    with exact_arithmetic():
        return pm.sample(
            model=model,
            draws=draws,
            tune=tune,
            chains=chains,
            nuts_sampler=backend,
            random_seed=random_seed,
            progressbar=progressbar,
            **kwargs,
        )


_NUTPIE_OPTIONS = {"target_accept": "target_accept", "max_treedepth": "maxdepth", "cores": "cores"}
"""Options of :func:`run_sampler` that nutpie takes directly, and nutpie's names for them."""


def _sample_nutpie(
    model: pm.Model,
    *,
    draws: int,
    tune: int,
    chains: int,
    random_seed: int | None,
    progressbar: bool,
    **options,
) -> xr.DataTree:
    """Compile the model with nutpie and sample it, as :func:`pymc.sample` would.

    The draws are those :func:`pymc.sample` gives with ``nuts_sampler="nutpie"``
    and the same seed (nutpie's seed is the first of PyMC's per-chain seeds),
    and the result has the same groups. Going to nutpie directly skips the
    step-method assignment :func:`pymc.sample` does first, which compiles
    PyTensor functions nutpie never calls, and reuses the compiled model of an
    earlier fit of the same computation on other data, even with other unit or
    period labels (:mod:`exlink.models.compiled_models`).
    """
    import nutpie
    from pymc.backends.arviz import patch_nutpie_idata

    settings = {_NUTPIE_OPTIONS[name]: value for name, value in options.items()}
    settings.setdefault("cores", min(4, os.cpu_count() or 1))
    seed = int(np.random.default_rng(random_seed).spawn(chains)[0].integers(2**30))
    with exact_arithmetic():
        compiled = COMPILED.compile(model)
        start = time.perf_counter()
        idata = nutpie.sample(
            compiled,
            draws=draws,
            tune=max(tune, 1),
            chains=chains,
            seed=seed,
            save_warmup=False,
            progress_bar=progressbar,
            **settings,
        )
    elapsed = time.perf_counter() - start
    # A compiled model reused from another panel wrote that panel's labels.
    idata = relabel(idata, model)
    patch_nutpie_idata(idata, model, sampling_time=elapsed)
    return idata
