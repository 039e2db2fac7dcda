"""How much an investment's NPV moves when one finance or effect assumption moves."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pandas as pd

from exlink.simulation.investments import Finance, Investment
from exlink.simulation.roi import simulate

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel


def npv_sensitivity(
    model: ChainModel,
    investment: Investment,
    finance: Finance,
    *,
    draws: int | None = 500,
    random_seed: int | None = 0,
    allow_unconverged: bool = False,
) -> pd.DataFrame:
    """Expected NPV with each assumption set low and high, the others at their base value.

    The assumptions: discount rate (half and one and a half times), margin
    (three quarters and one and a quarter times, at most 1), horizon (half and
    one and a half times), and, for an investment that stops, whether its
    effect fades or is reinforced.

    Parameters
    ----------
    model, investment, finance, draws, random_seed
        As for :func:`~exlink.simulation.roi.simulate`.
    allow_unconverged
        Compute even when the model has not converged (the table's
        ``model_converged`` column then says so).

    Returns
    -------
    pandas.DataFrame
        ``assumption``, ``low``, ``high`` (the values tried), ``npv_low``,
        ``npv_high`` and ``npv_base``, ordered by the size of the swing, and
        ``model_converged``.

    Raises
    ------
    ConvergenceError
        The model has not converged and ``allow_unconverged`` is false.
    """
    converged = model.diagnostics().converged

    def npv(inv: Investment, fin: Finance) -> float:
        result = simulate(
            model,
            [inv],
            fin,
            draws=draws,
            random_seed=random_seed,
            allow_unconverged=allow_unconverged,
        )
        return float(result.npv().mean())

    base = npv(investment, finance)
    rows = []
    for name, low, high in (
        ("discount_rate", finance.discount_rate * 0.5, finance.discount_rate * 1.5),
        ("margin", finance.margin * 0.75, min(1.0, finance.margin * 1.25)),
        ("horizon", max(1, finance.horizon // 2), int(finance.horizon * 1.5)),
    ):
        rows.append(
            {
                "assumption": name,
                "low": low,
                "high": high,
                "npv_low": npv(investment, dataclasses.replace(finance, **{name: low})),
                "npv_high": npv(investment, dataclasses.replace(finance, **{name: high})),
            }
        )
    if investment.duration is not None:
        rows.append(
            {
                "assumption": "fade",
                "low": "fades",
                "high": "reinforced",
                "npv_low": npv(dataclasses.replace(investment, reinforced=False), finance),
                "npv_high": npv(dataclasses.replace(investment, reinforced=True), finance),
            }
        )
    table = pd.DataFrame(rows)
    table["npv_base"] = base
    table["model_converged"] = converged
    swing = (table["npv_high"] - table["npv_low"]).abs()
    return table.assign(swing=swing).sort_values("swing", ascending=False).drop(columns="swing")
