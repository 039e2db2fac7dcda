"""The checks' refits on a Dask cluster, when the caller passes a ``dask.distributed`` client.

Each check that refits the model (the placebos and the prior sensitivity) is
one task: the fitted model travels to a worker (without its PyMC graph,
which the worker rebuilds), the check runs there with the same sampler
settings and seeds, and its :class:`~exlink.checks.result.CheckResult`
comes back. The warnings the check raised on the worker are raised again
here, so a failed check warns the same way whether it ran here or there.
Without a client the same functions run in this process, one after another;
the results are identical either way.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from exlink.checks.result import CheckResult

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

Check = Callable[..., CheckResult]


def run_checks(
    model: ChainModel,
    checks: Mapping[str, Check],
    fit: Mapping[str, Any] | None,
    client: Any = None,
) -> dict[str, CheckResult]:
    """Run each check on the model, in this process or as one Dask task per check.

    Parameters
    ----------
    model
        The fitted model.
    checks
        Name -> check function taking ``(model, fit=...)``.
    fit
        The refits' sampler settings.
    client
        A ``dask.distributed.Client``, or None to run here.
    """
    if client is None:
        return {name: check(model, fit=fit) for name, check in checks.items()}
    if not hasattr(client, "submit") or not hasattr(client, "gather"):
        raise TypeError(
            "client must be a dask.distributed.Client (from dask.distributed import Client), "
            f"got {type(client).__name__}."
        )
    run = uuid.uuid4().hex[:8]
    futures = [
        client.submit(_warned, check, model, fit, key=f"exlink-{name}-{run}", pure=False)
        for name, check in checks.items()
    ]
    out = {}
    for name, (result, raised) in zip(checks, client.gather(futures), strict=True):
        for category, message in raised:
            warnings.warn(message, category, stacklevel=3)
        out[name] = result
    return out


def _warned(
    check: Check, model: ChainModel, fit: Mapping[str, Any] | None
) -> tuple[CheckResult, list[tuple[type[Warning], str]]]:
    """Run one check on a worker; return its result and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = check(model, fit=fit)
    return result, [(w.category, str(w.message)) for w in caught]
