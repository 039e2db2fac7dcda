"""Falsification checks: whether the data carry the causal claim the model makes.

Each check returns a :class:`CheckResult`: a tidy verdict per intervention
effect or link (``passed``, ``failed`` or ``not run`` when the data cannot
support it, with a sentence saying why) and a figure.

- :func:`event_study`: each effect by period relative to its start; the
  periods before the start (leads) must hold zero, else there is a pre-trend.
- :func:`placebo_in_time`: a rollout that starts early must have no effect.
- :func:`placebo_in_space`: untreated units given the rollout must not move.
- :func:`reverse_direction`: the target must not predict the source as well
  as the source predicts the target (reverse causation, common causes).
- :func:`prior_sensitivity`: effects must not move when the priors do.

:func:`check_all` (also :meth:`ChainModel.check_all
<exlink.models.chain.ChainModel.check_all>`) runs them all. The placebo and
sensitivity checks refit the model, so they take a few fits' time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from exlink._tasks import run_tasks
from exlink.checks.direction import reverse_direction
from exlink.checks.placebo import placebo_in_space, placebo_in_time
from exlink.checks.prior_width import prior_sensitivity
from exlink.checks.result import CheckReport, CheckResult
from exlink.checks.staggered import event_study
from exlink.rollouts import rollout_variation

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

__all__ = [
    "CheckReport",
    "CheckResult",
    "check_all",
    "event_study",
    "placebo_in_space",
    "placebo_in_time",
    "prior_sensitivity",
    "reverse_direction",
    "rollout_variation",
]


def check_all(
    model: ChainModel,
    *,
    fit: Mapping[str, Any] | None = None,
    sensitivity: bool = True,
    client: Any = None,
    progressbar: bool = True,
) -> CheckReport:
    """Run every check on a fitted model.

    Parameters
    ----------
    model
        A fitted :class:`~exlink.models.chain.ChainModel`.
    fit
        Sampler settings of the refits (the placebos; the prior
        sensitivity where reweighting the fitted draws fails).
    sensitivity
        Run the prior sensitivity check. It reweights the fitted draws and
        refits only for a prior width the weights cannot reach.
    client
        A ``dask.distributed.Client``: the checks that refit run as tasks on
        its cluster, side by side, and the warnings they raise there are
        raised here. Without one they run here, one after another; the
        results are the same.
    progressbar
        Count the refitting checks as they finish (when the refits' own
        sampler bars are off, as they are by default).

    Returns
    -------
    CheckReport
        Every check's result; ``report.verdicts()`` is the tidy table.
    """
    refits: dict[str, Any] = {
        "placebo_in_time": placebo_in_time,
        "placebo_in_space": placebo_in_space,
    }
    if sensitivity:
        refits["prior_sensitivity"] = prior_sensitivity
    calls = [(check, model, fit) for check in refits.values()]
    counting = progressbar and not (fit or {}).get("progressbar", False)
    done = run_tasks(_refit_check, calls, client, "refitting check", counting)
    refitted = dict(zip(refits, done, strict=True))
    results = {
        "event_study": event_study(model),
        "placebo_in_time": refitted["placebo_in_time"],
        "placebo_in_space": refitted["placebo_in_space"],
        "reverse_direction": reverse_direction(model),
    }
    if sensitivity:
        results["prior_sensitivity"] = refitted["prior_sensitivity"]
    return CheckReport(results)


def _refit_check(check: Any, model: ChainModel, fit: Mapping[str, Any] | None) -> CheckResult:
    return check(model, fit=fit)
