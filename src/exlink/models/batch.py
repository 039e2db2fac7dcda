"""Many fits of one chain: one per region, business line or data set, here or on a Dask cluster."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exlink._tasks import run_tasks
from exlink.data import Panel
from exlink.models.chain import ChainModel
from exlink.priors import Prior
from exlink.spec import Chain


def fit_each(
    chain: Chain,
    panels: Mapping[Any, Panel],
    *,
    priors: Mapping[str, Prior] | None = None,
    client: Any = None,
    progressbar: bool = True,
    **fit_kwargs: Any,
) -> dict[Any, ChainModel]:
    """Fit the same chain to each of several panels.

    Parameters
    ----------
    chain
        The structure, shared by every fit.
    panels
        Name -> panel, for example ``panel.split("region")``.
    priors
        Prior overrides shared by every fit.
    client
        A ``dask.distributed.Client``: each fit is one task on its cluster
        and comes back as a fitted model (its PyMC graph is rebuilt here when
        needed); a fit's warnings (convergence, identification) are raised
        here. Without one the fits run here, one after another. With the
        same ``random_seed`` the posteriors are the same either way.
    progressbar
        Count the fits as they finish (each fit's own sampler bar is off).
    **fit_kwargs
        Passed to :meth:`ChainModel.fit` (``draws``, ``chains``,
        ``random_seed``, ...).

    Returns
    -------
    dict
        Name -> fitted :class:`ChainModel`, in the order of ``panels``.

    Examples
    --------
    >>> import exlink as xl
    >>> sim = xl.datasets.make_service_chain(n_units=30, n_periods=12, seed=1)
    >>> by_region = sim.panel().split("region")
    >>> models = fit_each(sim.chain, by_region, draws=100, tune=100)  # doctest: +SKIP
    >>> list(by_region)
    ['south', 'east', 'west', 'north']
    """
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError("panels must be a non-empty mapping of name -> exlink.Panel.")
    for name, panel in panels.items():
        if not isinstance(panel, Panel):
            raise TypeError(
                f"panels[{name!r}] must be an exlink.Panel, got {type(panel).__name__}."
            )
    settings = {"progressbar": False} | fit_kwargs
    calls = [(chain, priors, panel, settings) for panel in panels.values()]
    fitted = run_tasks(_fit, calls, client, "fit", progressbar)
    return dict(zip(panels, fitted, strict=True))


def _fit(
    chain: Chain, priors: Mapping[str, Prior] | None, panel: Panel, settings: dict
) -> ChainModel:
    return ChainModel(chain, priors).fit(panel, **settings)
