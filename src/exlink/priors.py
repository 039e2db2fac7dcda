"""Priors as data.

A :class:`Prior` names a PyMC distribution and its parameters. The chain model
works on each stage's standardised scale (its observed mean and standard
deviation), so its default priors are scale-free: a link's coefficient
``Normal(0, 1)`` says that one standard deviation of the source moves the
target by about one standard deviation at most. :data:`DEFAULT_PRIORS` lists
them by group.

A user overrides a whole group by its name (``"beta"``), stated on the
standardised scale, or one element by ``"group[label]"``
(``"beta[engagement -> nps]"``), stated on the original scale of the stages:
one point of engagement moves NPS by ... points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_LOCATION = {
    "Normal": "mu",
    "StudentT": "mu",
    "Laplace": "mu",
    "Cauchy": "alpha",
    "TruncatedNormal": "mu",
}
_SCALE = {
    "Normal": "sigma",
    "StudentT": "sigma",
    "Laplace": "b",
    "Cauchy": "beta",
    "TruncatedNormal": "sigma",
    "HalfNormal": "sigma",
    "HalfStudentT": "sigma",
    "HalfCauchy": "beta",
}
_BOUNDS = {"TruncatedNormal": ("lower", "upper")}
_POSITIVE = ("HalfNormal", "HalfStudentT", "HalfCauchy", "Exponential", "Gamma", "LogNormal")
"""Families of positive quantities: they rescale but cannot shift."""


@dataclass(frozen=True)
class Prior:
    """A prior distribution: a PyMC distribution name and its parameters.

    Parameters
    ----------
    distribution
        The name of a :mod:`pymc` distribution, such as ``"Normal"``.
    **params
        Its parameters, such as ``mu=0, sigma=1``.

    Examples
    --------
    >>> Prior("Normal", mu=0.5, sigma=0.2)
    Normal(mu=0.5, sigma=0.2)
    >>> Prior("Normal", mu=0.5, sigma=0.2).standardise(shift=0.0, factor=2.0)
    Normal(mu=0.25, sigma=0.1)
    """

    distribution: str
    params: dict[str, float] = field(default_factory=dict)

    def __init__(self, distribution: str, **params: float) -> None:
        import pymc as pm

        if not isinstance(distribution, str) or not hasattr(pm, distribution):
            raise ValueError(
                f"unknown distribution {distribution!r}: use a pymc name such as 'Normal'."
            )
        for key, value in params.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise TypeError(f"{distribution} parameter {key} must be a number, got {value!r}.")
        object.__setattr__(self, "distribution", distribution)
        object.__setattr__(self, "params", dict(params))

    def create(self, name: str, **kwargs: Any) -> Any:
        """Create the random variable inside a model context."""
        import pymc as pm

        return getattr(pm, self.distribution)(name, **self.params, **kwargs)

    def standardise(self, shift: float, factor: float) -> Prior:
        """The prior of ``(x - shift) / factor`` when ``x`` has this prior.

        Exact for location-scale families (Normal, StudentT, Laplace, Cauchy,
        TruncatedNormal), for positive scale families with ``shift == 0``
        (HalfNormal, HalfStudentT, HalfCauchy, Exponential, Gamma, LogNormal).
        Refused otherwise.
        """
        name, params = self.distribution, dict(self.params)
        if factor <= 0:
            raise ValueError("factor must be positive.")
        if shift == 0 and factor == 1:
            return self
        if name in _POSITIVE and shift != 0:
            raise ValueError(f"a {name} prior cannot describe a quantity that can be negative.")
        if name in _LOCATION or name in _SCALE:
            if name in _LOCATION:
                key = _LOCATION[name]
                params[key] = (params.get(key, 0.0) - shift) / factor
            params[_SCALE[name]] = params.get(_SCALE[name], 1.0) / factor
            for bound in _BOUNDS.get(name, ()):
                if bound in params:
                    params[bound] = (params[bound] - shift) / factor
        elif name == "Exponential":
            params["lam"] = params.get("lam", 1.0) * factor
        elif name == "Gamma":
            params["beta"] = params["beta"] * factor
        elif name == "LogNormal":
            params["mu"] = params.get("mu", 0.0) - math.log(factor)
        else:
            raise ValueError(
                f"cannot restate a {name} prior on the standardised scale: use Normal, StudentT, "
                "Laplace, Cauchy, TruncatedNormal or a positive scale family."
            )
        return Prior(name, **{k: _tidy(v) for k, v in params.items()})

    def scaled(self, factor: float) -> Prior:
        """The same prior made ``factor`` times as wide, around the same location.

        Examples
        --------
        >>> Prior("Normal", mu=0.5, sigma=0.2).scaled(2.0)
        Normal(mu=0.5, sigma=0.4)
        >>> Prior("HalfNormal", sigma=1.0).scaled(0.5)
        HalfNormal(sigma=0.5)
        """
        if factor <= 0:
            raise ValueError(f"factor must be positive, got {factor}.")
        if self.distribution in _POSITIVE:
            return self.standardise(0.0, 1.0 / factor)
        if self.distribution not in _SCALE:
            raise ValueError(f"cannot widen a {self.distribution} prior: it has no scale.")
        key = _SCALE[self.distribution]
        params = dict(self.params) | {key: self.params.get(key, 1.0) * factor}
        return Prior(self.distribution, **{k: _tidy(v) for k, v in params.items()})

    def to_dict(self) -> dict[str, Any]:
        """``{"distribution": ..., **params}``."""
        return {"distribution": self.distribution, **self.params}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prior:
        """Inverse of :meth:`to_dict`."""
        params = dict(data)
        return cls(params.pop("distribution"), **params)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={_tidy(v):g}" for k, v in self.params.items())
        return f"{self.distribution}({inner})"


def _tidy(value: float) -> float:
    return float(f"{value:.6g}")


DEFAULT_PRIORS: dict[str, Prior] = {
    "intercept": Prior("Normal", mu=0.0, sigma=1.0),
    "sigma": Prior("HalfNormal", sigma=1.0),
    "nu": Prior("Gamma", alpha=2.0, beta=0.1),
    "unit_sd": Prior("HalfNormal", sigma=1.0),
    "period_sd": Prior("HalfNormal", sigma=0.5),
    "beta": Prior("Normal", mu=0.0, sigma=1.0),
    "reference": Prior("Normal", mu=0.0, sigma=1.0),
    "curvature": Prior("LogNormal", mu=0.0, sigma=0.75),
    "link_moderation": Prior("Normal", mu=0.0, sigma=0.5),
    "lever_mean": Prior("Normal", mu=0.0, sigma=0.5),
    "lever_sd": Prior("HalfNormal", sigma=0.5),
    "gamma": Prior("Normal", mu=0.0, sigma=1.0),
    "effect_moderation": Prior("Normal", mu=0.0, sigma=0.5),
    "ramp": Prior("Beta", alpha=2.0, beta=2.0),
    "fade": Prior("Beta", alpha=2.0, beta=5.0),
    "response_sd": Prior("HalfNormal", sigma=1.0),
    "loading": Prior("Normal", mu=1.0, sigma=1.0),
    "item_intercept": Prior("Normal", mu=0.0, sigma=1.0),
    "item_sd": Prior("HalfNormal", sigma=1.0),
}
"""Default priors by group, on the standardised scale of the stages.

``gamma`` applies only to an intervention effect taken out of its lever's pool
by an element prior; pooled effects are ``Normal(lever_mean, lever_sd)``."""

PRIOR_DESCRIPTIONS: dict[str, str] = {
    "loading": "item change per unit of its construct, relative to the marker item "
    "(per item but the marker)",
    "item_intercept": "item level where its construct is at its marker's mean (per item "
    "but the marker)",
    "item_sd": "an item's own noise around its construct (per item)",
    "intercept": "stage level at average parents (per stage)",
    "sigma": "observation noise (per stage)",
    "nu": "Student-t degrees of freedom (per Student-t stage)",
    "unit_sd": "spread of unit effects (per stage)",
    "period_sd": "spread of period effects (per stage)",
    "beta": "link coefficient: target change per unit of source where the data are (per link)",
    "reference": "level where a saturating or threshold link turns (per such link)",
    "curvature": "saturation range or threshold sharpness (per such link)",
    "link_moderation": "change of a link per sd of its moderator (per moderated link)",
    "lever_mean": "mean intervention effect of a lever, in target sds (per lever)",
    "lever_sd": "spread of intervention effects within a lever (per lever)",
    "gamma": "intervention effect of full exposure, outside its lever's pool (per effect)",
    "effect_moderation": "change of an effect per sd of its moderator (per moderated effect)",
    "ramp": "adoption rate per period (per ramped intervention)",
    "fade": "fade rate per period once a rollout stops (per fading intervention)",
    "response_sd": "SD of one survey response; standardised: the sampling error of a value "
    "with the median responses, in stage sds (per survey stage without an sd column)",
}


def priors_to_dict(priors: Mapping[str, Prior]) -> dict[str, dict[str, Any]]:
    """Priors as plain dicts, for saving."""
    return {key: prior.to_dict() for key, prior in priors.items()}


def priors_from_dict(data: Mapping[str, Mapping[str, Any]]) -> dict[str, Prior]:
    """Inverse of :func:`priors_to_dict`."""
    return {key: Prior.from_dict(value) for key, value in data.items()}
