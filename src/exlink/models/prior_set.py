"""The priors of one chain model: defaults, the user's groups and elements, resolved.

Each prior group has one element per link, stage, effect or intervention. A
quantity ``x`` on the original scale relates to the model's standardised
``z`` by ``x = shift + factor * z``; element priors given on the original scale
are restated on the standardised scale with that relation.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from exlink._names import closest
from exlink.models.design import ChainDesign
from exlink.priors import DEFAULT_PRIORS, PRIOR_DESCRIPTIONS, Prior

Element = tuple[str, float, float]
"""``(label, shift, factor)``."""


def prior_elements(design: ChainDesign) -> dict[str, list[Element]]:
    """Every prior group's elements, with how each relates to the original scale."""
    m, s = design.means, design.sds
    names = design.stage_names
    links, effects = design.links, design.effects
    chain = design.chain

    def per_stage(shift: bool) -> list[Element]:
        return [(n, float(m[j]) if shift else 0.0, float(s[j])) for j, n in enumerate(names)]

    def link_slope(term) -> Element:
        return term.label, 0.0, design.link_factor(term)

    nonlinear = [lk for lk in links if lk.form != "linear"]
    items = [
        (item, float(term.means[k]), float(term.sds[k]), float(term.loading_factor()[k]))
        for term in design.constructs.values()
        for k, item in enumerate(term.items)
    ]
    loaded = [i for i in items if i[0] not in {t.items[0] for t in design.constructs.values()}]
    effects_of_units = (
        {}
        if design.cross_sectional
        else {
            "unit_sd": per_stage(shift=False),
            "period_sd": per_stage(shift=False),
        }
    )
    return {
        "intercept": per_stage(shift=True),
        "sigma": per_stage(shift=False),
        "nu": [(st.name, 0.0, 1.0) for st in chain.stages if st.likelihood == "student_t"],
        **effects_of_units,
        "beta": [link_slope(lk) for lk in links],
        "reference": [(lk.label, float(m[lk.source]), float(s[lk.source])) for lk in nonlinear],
        "curvature": [(lk.label, 0.0, float(s[lk.source])) for lk in nonlinear],
        "link_moderation": [link_slope(lk) for lk in links if lk.moderator],
        "lever_mean": [(lever, 0.0, 1.0) for lever in design.levers],
        "lever_sd": [(lever, 0.0, 1.0) for lever in design.levers],
        "gamma": [(e.label, 0.0, float(s[e.target])) for e in effects],
        "effect_moderation": [(e.label, 0.0, float(s[e.target])) for e in effects if e.moderator],
        "ramp": [(k.name, 0.0, 1.0) for k in chain.interventions if k.ramp],
        "fade": [(k.name, 0.0, 1.0) for k in chain.interventions if k.fade],
        "response_sd": [
            (names[j], 0.0, float(s[j] * np.sqrt(term.median_n)))
            for j, term in design.surveys.items()
            if term.estimated
        ],
        "loading": [(item, 0.0, factor) for item, _, _, factor in loaded],
        "item_intercept": [(item, mean, sd) for item, mean, sd, _ in loaded],
        "item_sd": [(item, 0.0, sd) for item, _, sd, _ in items],
    }


class PriorSet:
    """Resolved priors of a chain model.

    Parameters
    ----------
    design
        The model's design.
    priors
        The user's priors: group name -> :class:`~exlink.priors.Prior` on the
        standardised scale, or ``"group[label]"`` -> prior on the original scale.
    """

    def __init__(self, design: ChainDesign, priors: Mapping[str, Prior] | None = None) -> None:
        self.elements = prior_elements(design)
        self.user = dict(priors or {})
        valid = list(self.elements) + [
            f"{g}[{e[0]}]" for g, els in self.elements.items() for e in els
        ]
        for key, prior in self.user.items():
            if key not in valid:
                match = closest(key, valid)
                hint = f" Did you mean {match!r}?" if match else ""
                raise ValueError(
                    f"unknown prior name {key!r}.{hint} Priors are set by group "
                    f"({', '.join(self.elements)}) or by element as 'group[label]', such as "
                    f"{next((v for v in valid if '[' in v), 'beta[a -> b]')!r}. "
                    "model.default_priors() lists them all."
                )
            if not isinstance(prior, Prior):
                raise TypeError(
                    f"prior {key!r} must be an exlink.Prior, got {type(prior).__name__}."
                )

    def group(self, name: str) -> Prior:
        """The standardised-scale prior of a group (the user's, else the default)."""
        return self.user.get(name, DEFAULT_PRIORS[name])

    def overrides(self, name: str) -> dict[str, Prior]:
        """Element priors of a group given by the user, restated on the standardised scale."""
        out = {}
        for label, shift, factor in self.elements[name]:
            prior = self.user.get(f"{name}[{label}]")
            if prior is not None:
                out[label] = prior.standardise(shift, factor)
        return out

    def pooled_effects(self) -> list[str]:
        """Intervention effects drawn from their lever's pool (no group or element gamma prior)."""
        if "gamma" in self.user:
            return []
        taken = self.overrides("gamma")
        return [label for label, _, _ in self.elements["gamma"] if label not in taken]

    def table(self) -> pd.DataFrame:
        """Every element's prior, on the standardised and on the original scale."""
        rows = []
        pooled = set(self.pooled_effects())
        for name, elements in self.elements.items():
            overrides = self.overrides(name)
            for label, shift, factor in elements:
                if name == "gamma" and label in pooled:
                    standard, source = "Normal(lever_mean, lever_sd)", "lever pool"
                    original = "pooled within its lever"
                else:
                    prior = overrides.get(label, self.group(name))
                    source = "user" if label in overrides or name in self.user else "default"
                    standard, original = repr(prior), _original(prior, shift, factor)
                rows.append(
                    {
                        "group": name,
                        "element": label,
                        "prior": standard,
                        "original_scale": original,
                        "source": source,
                        "meaning": PRIOR_DESCRIPTIONS[name],
                    }
                )
        return pd.DataFrame(rows)


def _original(prior: Prior, shift: float, factor: float) -> str:
    if shift == 0 and factor == 1:
        return repr(prior)
    try:
        return repr(prior.standardise(-shift / factor, 1.0 / factor))
    except ValueError:
        return f"{prior!r} x {factor:.3g}" + (f" + {shift:.3g}" if shift else "")
