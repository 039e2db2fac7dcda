"""Choosing and running a NUTS sampler."""

from __future__ import annotations

import importlib.util

import pymc as pm
import xarray as xr

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
