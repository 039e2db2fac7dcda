"""The value of candidate investments under many finance assumptions at once.

A finance team rarely trusts one discount rate or one margin. :func:`finance_sweep`
simulates the same investments through the same posterior draws under each
of a list of :class:`~exlink.simulation.investments.Finance` scenarios and
tabulates the value of each investment in each scenario. Every scenario uses
the same draws and the same seed, so differences between scenarios are the
assumptions', not Monte Carlo noise. With a ``dask.distributed`` client the
scenarios run as tasks on its cluster (the fitted model is sent once); the
table is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import pandas as pd

from exlink._tasks import check_client, run_tasks
from exlink.simulation.investments import Finance, Investment
from exlink.simulation.roi import simulate

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

SWEEP_COLUMNS = ("npv_mean", "npv_p05", "npv_p95", "p_loss", "roi", "payback")
"""What the sweep keeps of each investment's summary in each scenario."""


def finance_sweep(
    model: ChainModel,
    investments: Sequence[Investment],
    finances: Sequence[Finance],
    *,
    draws: int | None = 500,
    random_seed: int | None = 0,
    allow_unconverged: bool = False,
    client: Any = None,
    progressbar: bool = True,
) -> pd.DataFrame:
    """Value each investment under each finance scenario.

    Parameters
    ----------
    model
        A fitted :class:`~exlink.models.chain.ChainModel`.
    investments
        The candidates.
    finances
        The scenarios, at least one.
    draws, random_seed, allow_unconverged
        As for :func:`~exlink.simulation.roi.simulate`; shared by every scenario.
    client
        A ``dask.distributed.Client`` to run the scenarios on its cluster;
        in this process, one after another, without one.
    progressbar
        Count the scenarios as they finish.

    Returns
    -------
    pandas.DataFrame
        One row per scenario and investment: ``scenario`` (its position in
        ``finances``), the scenario's assumptions that differ between
        scenarios, ``investment``, and ``npv_mean``, ``npv_p05``,
        ``npv_p95``, ``p_loss``, ``roi`` and ``payback`` (see
        :meth:`~exlink.simulation.roi_result.RoiResult.summary`: NPV in the
        financial stages' money, discounted, against the status quo).

    Examples
    --------
    >>> from exlink.simulation.investments import Finance
    >>> scenarios = [Finance(horizon=24, discount_rate=r) for r in (0.05, 0.08, 0.12)]
    >>> table = finance_sweep(model, investments, scenarios)  # doctest: +SKIP
    """
    finances = list(finances)
    if not finances or not all(isinstance(f, Finance) for f in finances):
        raise TypeError("finances must be a non-empty list of exlink.Finance scenarios.")
    settings = {"draws": draws, "random_seed": random_seed, "allow_unconverged": allow_unconverged}
    if client is not None:
        check_client(client)
        model = client.scatter(model, broadcast=True)  # sent once, not once per scenario
    calls = [(model, investments, f, settings) for f in finances]
    summaries = run_tasks(_summary, calls, client, "scenario", progressbar)
    varying = [
        f.name
        for f in fields(Finance)
        if len({repr(getattr(scenario, f.name)) for scenario in finances}) > 1
    ]
    frames = []
    for position, (scenario, table) in enumerate(zip(finances, summaries, strict=True)):
        table = table.reset_index()
        table.insert(0, "scenario", position)
        for offset, name in enumerate(varying, start=1):
            table.insert(offset, name, getattr(scenario, name))
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _summary(
    model: ChainModel, investments: Sequence[Investment], finance: Finance, settings: dict
) -> pd.DataFrame:
    result = simulate(model, list(investments), finance, **settings)
    return result.summary()[list(SWEEP_COLUMNS)]
