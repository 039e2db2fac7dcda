"""The structure of a chain: stages, links and interventions.

Everything here is a frozen, validated description with no PyMC inside. A
:class:`Chain` says which quantities are measured (stages, each with a role),
which affect which (links, with a lag and a functional form), and which
employee-experience investments act on which stages (interventions, each with
a lever). Models, simulators and the command line all read the same spec, and
a spec round-trips through ``dict``, JSON and YAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml

from exlink._names import unknown_name_message
from exlink._spec_checks import (
    build_from_mapping,
    check_choice,
    check_name,
    check_optional_name,
    find_cycle,
    refuse_repeats,
    refuse_unknown_keys,
    spec_path,
)
from exlink._yaml import yaml_error_message
from exlink.link_forms import link_form_names

Role = Literal["ex", "cx", "customer", "financial"]
ROLES: tuple[str, ...] = ("ex", "cx", "customer", "financial")
"""Roles in chain order: employee experience, customer experience, customer
behaviour, financial results."""

OPERATIONAL_LEVERS: tuple[str, ...] = ("people", "process", "data", "technology")
STRATEGIC_LEVERS: tuple[str, ...] = ("leadership", "culture", "mission_strategy", "business_model")
LEVERS: tuple[str, ...] = OPERATIONAL_LEVERS + STRATEGIC_LEVERS
"""Every lever an intervention can pull."""

LIKELIHOODS: tuple[str, ...] = ("normal", "student_t")
"""Observation models a stage may use."""


@dataclass(frozen=True)
class Stage:
    """A measured quantity of the chain.

    Parameters
    ----------
    name
        The stage's name, also the column that holds it in the data. Names of
        stages, interventions, attributes and investments start with a
        letter and hold letters, digits and underscores, with single spaces,
        dots or hyphens between words (``nps``, ``time_effort``,
        ``eNPS 2024``): they become variable names, file groups and figure
        labels, where ``/``, ``$`` or brackets would break.
    role
        ``"ex"``, ``"cx"``, ``"customer"`` or ``"financial"``.
    likelihood
        Observation model: ``"normal"`` or ``"student_t"`` (robust to outliers).
    description
        Free text shown in reports, such as what scale the measure uses.
    items
        Empty for a stage held in one column. For a construct measured by
        several survey items (see :class:`Construct`), the items' columns,
        the first of them the construct's marker.
    """

    name: str
    role: Role
    likelihood: str = "normal"
    description: str = ""
    items: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_name(self.name, "Stage name")
        check_choice(self.role, ROLES, "role", f"Stage {self.name!r}")
        check_choice(self.likelihood, LIKELIHOODS, "likelihood", f"Stage {self.name!r}")
        items = self.items
        if isinstance(items, str) or not isinstance(items, Iterable):
            raise TypeError(
                f"Stage {self.name!r}: items must be a list of column names, got {items!r}."
            )
        items = tuple(items)
        object.__setattr__(self, "items", items)
        if not items:
            return
        for item in items:
            check_name(item, f"Construct {self.name!r} item")
        refuse_repeats(list(items), f"item of construct {self.name!r}")
        if len(items) < MIN_ITEMS:
            raise ValueError(
                f"Construct {self.name!r} has {len(items)} item(s): a construct needs at least "
                f"{MIN_ITEMS} to separate what its items share from each item's own noise. "
                "Use a single-column Stage instead."
            )
        if self.name in items:
            raise ValueError(
                f"Construct {self.name!r} is also the name of one of its items: name the "
                "construct apart from its columns."
            )
        if self.likelihood != "normal":
            raise ValueError(
                f"Construct {self.name!r}: a construct's equation is normal; its items carry the "
                "measurement noise. Leave likelihood at 'normal'."
            )

    @property
    def is_construct(self) -> bool:
        """True for a construct measured by several items."""
        return bool(self.items)


MIN_ITEMS = 2
"""Items a construct needs at the least (three or more identify it on their own)."""


class Construct(Stage):
    """A stage measured by several survey items: an engagement index, a CX score.

    A reflective measurement model ties each item to the construct's true
    value ``eta`` in every unit and period::

        item[k] = intercept[k] + loading[k] * eta + Normal(0, item_sd[k])

    The construct is identified by its first item, the *marker*: its loading
    is 1 and its intercept 0, so the construct is on the marker item's scale
    (its units and its mean). The construct is then a stage like any other: the
    source or target of links, the target of interventions, simulated (the
    construct moves and its items follow their loadings). Its items are
    columns of the panel, passed to :meth:`~exlink.Panel.from_frame` as
    stages; a missing item value leaves that item out of that cell.

    Parameters
    ----------
    name
        The construct's name (not a column of the data).
    items
        Its items' columns, at least two, the marker first. Three or more
        identify a construct on its own; with two, it borrows from its links.
    role
        ``"ex"``, ``"cx"``, ``"customer"`` or ``"financial"``.
    description
        Free text shown in reports.

    Examples
    --------
    >>> cx = Construct("cx_quality", ["integrity", "resolution", "empathy"], role="cx")
    >>> cx.items, cx.is_construct
    (('integrity', 'resolution', 'empathy'), True)
    """

    def __init__(
        self,
        name: str,
        items: Sequence[str],
        role: Role,
        likelihood: str = "normal",
        description: str = "",
    ) -> None:
        super().__init__(name, role, likelihood, description, items)

    def __repr__(self) -> str:
        return f"Construct({self.name!r}, items={list(self.items)!r}, role={self.role!r})"


@dataclass(frozen=True)
class Link:
    """A directed effect of one stage on another.

    Parameters
    ----------
    source, target
        Stage names: ``source`` at ``t - lag`` affects ``target`` at ``t``.
    lag
        Periods between cause and effect, an integer >= 0. A stage may affect
        itself only with a lag of at least one period (persistence).
    form
        ``"linear"``, ``"saturating"`` (less effect at a high source level) or
        ``"threshold"`` (the target moves only once the source is high).
    moderator
        A unit attribute (such as a culture score) that strengthens or weakens
        the effect from unit to unit, or ``None``.
    """

    source: str
    target: str
    lag: int = 0
    form: str = "linear"
    moderator: str | None = None

    def __post_init__(self) -> None:
        check_name(self.source, "Link source")
        check_name(self.target, "Link target")
        if isinstance(self.lag, bool) or not isinstance(self.lag, int):
            raise TypeError(f"Link {self.label}: lag must be an integer, got {self.lag!r}.")
        if self.lag < 0:
            raise ValueError(
                f"Link {self.label}: lag must be >= 0 (a cause cannot follow its effect), "
                f"got {self.lag}."
            )
        if self.source == self.target and self.lag == 0:
            raise ValueError(f"Link {self.label}: a stage can affect itself only with a lag >= 1.")
        check_choice(
            self.form,
            link_form_names(),
            "form",
            f"Link {self.label}",
            hint="A form of your own must be registered first with exlink.register_link_form.",
        )
        check_optional_name(self.moderator, f"Link {self.label} moderator")

    @property
    def label(self) -> str:
        """A readable name such as ``'nps -> retention (lag 1)'``."""
        return f"{self.source} -> {self.target}" + (f" (lag {self.lag})" if self.lag else "")


_LINK_TEXT = re.compile(
    r"^\s*(?P<source>.+?)\s*->\s*(?P<target>.+?)\s*(\(\s*lag\s+(?P<lag>\d+)\s*\))?\s*$"
)


def _stage_from_mapping(item: Any) -> Stage:
    """A stage of a chain spec; one with ``items`` is a :class:`Construct`."""
    stage = build_from_mapping(Stage, item, "stage")
    if not stage.items:
        return stage
    return Construct(stage.name, stage.items, stage.role, stage.likelihood, stage.description)


def parse_link(text: str) -> Link:
    """Read a link written as ``"source -> target"`` or ``"source -> target (lag 2)"``.

    Parameters
    ----------
    text
        The link in arrow notation.

    Returns
    -------
    Link
        A linear, unmoderated link.
    """
    match = _LINK_TEXT.match(text)
    if match is None:
        raise ValueError(
            f"cannot read link {text!r}: write it as 'source -> target' or "
            "'source -> target (lag 1)'."
        )
    return Link(match["source"], match["target"], lag=int(match["lag"] or 0))


@dataclass(frozen=True)
class Intervention:
    """An employee-experience investment acting on one or more stages.

    In the data an intervention is a column with its rollout per unit and
    period: a share in [0, 1] or a non-negative intensity. The effect builds up
    as the intervention is adopted (``ramp``) and, once it stops, may decay at a
    rate of its own (``fade``).

    Parameters
    ----------
    name
        The intervention's name, also its column in the data.
    targets
        Stages it acts on directly (one name or several).
    lever
        What it changes: operational ``people``, ``process``, ``data``,
        ``technology`` or strategic ``leadership``, ``culture``,
        ``mission_strategy``, ``business_model``. Interventions of one lever
        share a population prior.
    ramp
        If true, exposure rises geometrically toward the rollout level at an
        adoption rate the model estimates; if false, it follows the rollout.
    fade
        If true, exposure falls at a separate, estimated rate after the
        rollout stops; if false, it falls at the adoption rate.
    moderator
        A unit attribute that strengthens or weakens the effect, or ``None``.
    description
        Free text shown in reports.
    """

    name: str
    targets: tuple[str, ...]
    lever: str
    ramp: bool = True
    fade: bool = False
    moderator: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        check_name(self.name, "Intervention name")
        targets = (self.targets,) if isinstance(self.targets, str) else tuple(self.targets)
        object.__setattr__(self, "targets", targets)
        if not targets:
            raise ValueError(
                f"Intervention {self.name!r} targets nothing: name at least one stage in targets."
            )
        for target in targets:
            check_name(target, f"Intervention {self.name!r} target")
        if len(set(targets)) != len(targets):
            raise ValueError(f"Intervention {self.name!r} names a target twice: {targets}.")
        check_choice(self.lever, LEVERS, "lever", f"Intervention {self.name!r}")
        for flag in ("ramp", "fade"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"Intervention {self.name!r}: {flag} must be True or False.")
        check_optional_name(self.moderator, f"Intervention {self.name!r} moderator")

    @property
    def lever_kind(self) -> str:
        """``"operational"`` or ``"strategic"``."""
        return "operational" if self.lever in OPERATIONAL_LEVERS else "strategic"


@dataclass(frozen=True)
class Chain:
    """Stages, the links between them and the interventions acting on them.

    Parameters
    ----------
    stages
        The measured quantities, each with a role.
    links
        Directed effects between stages. Links of lag 0 must not form a cycle.
    interventions
        Investments acting on stages.

    Examples
    --------
    >>> chain = Chain(
    ...     stages=[Stage("engagement", "ex"), Stage("nps", "cx")],
    ...     links=[Link("engagement", "nps")],
    ...     interventions=[Intervention("coaching", "engagement", lever="people")],
    ... )
    >>> chain.parents("nps")
    (Link(source='engagement', target='nps', lag=0, form='linear', moderator=None),)
    """

    stages: tuple[Stage, ...]
    links: tuple[Link, ...] = ()
    interventions: tuple[Intervention, ...] = field(default=())

    def __post_init__(self) -> None:
        for attr, kind in (("stages", Stage), ("links", Link), ("interventions", Intervention)):
            items = getattr(self, attr)
            if isinstance(items, kind | str | Mapping) or not isinstance(items, Iterable):
                raise TypeError(f"Chain {attr} must be a list of {kind.__name__} objects.")
            items = tuple(items)
            for item in items:
                if not isinstance(item, kind):
                    raise TypeError(
                        f"Chain {attr} must hold {kind.__name__} objects, got "
                        f"{type(item).__name__} {item!r}."
                    )
            object.__setattr__(self, attr, items)
        self._validate()

    # -- validation ---------------------------------------------------------
    def _validate(self) -> None:
        if not self.stages:
            raise ValueError("Chain needs at least one stage.")
        refuse_repeats([s.name for s in self.stages], "stage")
        refuse_repeats([i.name for i in self.interventions], "intervention")
        refuse_repeats([item for s in self.stages for item in s.items], "construct item")
        taken = set(self.stage_names) | set(self.intervention_names)
        for stage in self.stages:
            for item in stage.items:
                if item in taken:
                    raise ValueError(
                        f"Construct {stage.name!r}: its item {item!r} is also a stage or an "
                        "intervention of the chain. An item measures one construct only."
                    )
        clash = set(self.stage_names) & set(self.intervention_names)
        if clash:
            raise ValueError(
                f"{sorted(clash)} named both a stage and an intervention: give each its own name."
            )
        for link in self.links:
            for end in (link.source, link.target):
                if end not in self.stage_names:
                    raise ValueError(
                        f"Link {link.label}: "
                        + unknown_name_message("stage", end, self.stage_names)
                    )
        refuse_repeats([(lk.source, lk.target, lk.lag) for lk in self.links], "link")
        for intervention in self.interventions:
            for target in intervention.targets:
                if target not in self.stage_names:
                    raise ValueError(
                        f"Intervention {intervention.name!r} target: "
                        + unknown_name_message("stage", target, self.stage_names)
                    )
        cycle = find_cycle(self.stage_names, [lk for lk in self.links if lk.lag == 0])
        if cycle:
            raise ValueError(
                "links of lag 0 form a cycle: "
                + " -> ".join(cycle)
                + ". Give one of these links a lag >= 1 or remove it."
            )

    # -- lookups -------------------------------------------------------------
    @property
    def stage_names(self) -> tuple[str, ...]:
        """Stage names in the order given."""
        return tuple(s.name for s in self.stages)

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns the chain reads: each stage's own, a construct's items."""
        return tuple(c for s in self.stages for c in (s.items or (s.name,)))

    @property
    def constructs(self) -> tuple[Stage, ...]:
        """The stages measured by several items, in chain order."""
        return tuple(s for s in self.stages if s.items)

    @property
    def intervention_names(self) -> tuple[str, ...]:
        """Intervention names in the order given."""
        return tuple(i.name for i in self.interventions)

    @property
    def moderators(self) -> tuple[str, ...]:
        """Unit attributes that moderate a link or an intervention."""
        names = [x.moderator for x in (*self.links, *self.interventions) if x.moderator]
        return tuple(dict.fromkeys(names))

    @property
    def max_lag(self) -> int:
        """The longest link lag, 0 when there are no links."""
        return max((lk.lag for lk in self.links), default=0)

    def stage(self, name: str) -> Stage:
        """Return the stage called ``name``."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(unknown_name_message("stage", name, self.stage_names))

    def intervention(self, name: str) -> Intervention:
        """Return the intervention called ``name``."""
        for intervention in self.interventions:
            if intervention.name == name:
                return intervention
        raise KeyError(unknown_name_message("intervention", name, self.intervention_names))

    def by_role(self) -> dict[str, tuple[str, ...]]:
        """Stage names grouped by role, in chain order (roles without stages omitted)."""
        grouped = {role: tuple(s.name for s in self.stages if s.role == role) for role in ROLES}
        return {role: names for role, names in grouped.items() if names}

    def parents(self, stage: str) -> tuple[Link, ...]:
        """Links into ``stage``."""
        self.stage(stage)
        return tuple(lk for lk in self.links if lk.target == stage)

    def children(self, stage: str) -> tuple[Link, ...]:
        """Links out of ``stage``."""
        self.stage(stage)
        return tuple(lk for lk in self.links if lk.source == stage)

    def topological_order(self) -> tuple[str, ...]:
        """Stages ordered so that every lag-0 source comes before its target."""
        order: list[str] = []
        remaining = list(self.stage_names)
        contemporaneous = [lk for lk in self.links if lk.lag == 0]
        while remaining:
            for name in remaining:
                if all(lk.source in order for lk in contemporaneous if lk.target == name):
                    order.append(name)
                    remaining.remove(name)
                    break
        return tuple(order)

    def downstream(self, name: str) -> tuple[str, ...]:
        """Stages reachable from a stage or an intervention through any links."""
        if name in self.intervention_names:
            frontier = list(self.intervention(name).targets)
        else:
            frontier = [lk.target for lk in self.children(name)]
        seen: dict[str, None] = {}
        while frontier:
            stage = frontier.pop(0)
            if stage not in seen:
                seen[stage] = None
                frontier.extend(lk.target for lk in self.links if lk.source == stage)
        return tuple(s for s in self.stage_names if s in seen)

    # -- construction helpers -------------------------------------------------
    @classmethod
    def from_roles(
        cls,
        roles: Mapping[str, str | Sequence[str]],
        *,
        interventions: Mapping[str, tuple[str, str | Sequence[str]]] | None = None,
        links: Sequence[Link | str] | None = None,
        lag: int = 0,
    ) -> Chain:
        """Build a chain from stages grouped by role.

        Parameters
        ----------
        roles
            Role -> stage names, such as ``{"ex": ["engagement"], "cx": ["nps"]}``.
        interventions
            Intervention name -> ``(lever, targets)``.
        links
            Links as :class:`Link` objects or ``"a -> b (lag 1)"`` text. When
            omitted, every stage of a role is linked to every stage of the
            next role present, with lag ``lag``.
        lag
            The lag of the links made when ``links`` is omitted.

        Returns
        -------
        Chain

        Examples
        --------
        >>> chain = Chain.from_roles(
        ...     {"ex": "engagement", "cx": "nps", "financial": "revenue"},
        ...     interventions={"coaching": ("people", "engagement")},
        ... )
        >>> [link.label for link in chain.links]
        ['engagement -> nps', 'nps -> revenue']
        """
        for role in roles:
            check_choice(role, ROLES, "role", "Chain.from_roles")
        grouped = {r: [n] if isinstance(n, str) else list(n) for r, n in roles.items()}
        layers = [grouped[role] for role in ROLES if grouped.get(role)]
        stages = [Stage(name, role) for role in ROLES for name in grouped.get(role, [])]
        if links is None:
            made = [Link(a, b, lag=lag) for up, down in pairwise(layers) for a in up for b in down]
        else:
            made = [parse_link(lk) if isinstance(lk, str) else lk for lk in links]
        made_interventions = [
            Intervention(name, targets, lever=lever)
            for name, (lever, targets) in (interventions or {}).items()
        ]
        return cls(stages, made, made_interventions)

    # -- serialisation ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain ``dict`` of lists and scalars, the inverse of :meth:`from_dict`."""

        def plain(obj: Any) -> dict[str, Any]:
            out = {f.name: getattr(obj, f.name) for f in fields(obj)}
            return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

        def stage(s: Stage) -> dict[str, Any]:
            out = plain(s)
            if not s.items:
                del out["items"]
            return out

        return {
            "stages": [stage(s) for s in self.stages],
            "links": [plain(lk) for lk in self.links],
            "interventions": [plain(i) for i in self.interventions],
        }

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Chain:
        """Build a chain from a ``dict`` such as :meth:`to_dict` returns.

        Stages may also be given as a mapping of name to role, and links as
        ``"source -> target (lag 1)"`` text. Unknown keys are refused.
        """
        if not isinstance(spec, Mapping):
            raise TypeError(f"a chain spec must be a mapping, got {type(spec).__name__}.")
        refuse_unknown_keys(spec, ("stages", "links", "interventions"), "chain")
        raw_stages = spec.get("stages") or []
        if isinstance(raw_stages, Mapping):
            raw_stages = [{"name": name, "role": role} for name, role in raw_stages.items()]
        stages = [_stage_from_mapping(item) for item in raw_stages]
        links = [
            parse_link(item) if isinstance(item, str) else build_from_mapping(Link, item, "link")
            for item in spec.get("links") or []
        ]
        interventions = [
            build_from_mapping(Intervention, item, "intervention")
            for item in spec.get("interventions") or []
        ]
        return cls(stages, links, interventions)

    def to_json(self, **kwargs: Any) -> str:
        """The spec as JSON text; keyword arguments go to :func:`json.dumps`."""
        return json.dumps(self.to_dict(), **({"indent": 2} | kwargs))

    @classmethod
    def from_json(cls, text: str) -> Chain:
        """Build a chain from JSON text."""
        return cls.from_dict(json.loads(text))

    def to_yaml(self) -> str:
        """The spec as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> Chain:
        """Build a chain from YAML text.

        Raises
        ------
        ValueError
            For text that is not YAML (naming the line) or not a valid chain.
        """
        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ValueError(yaml_error_message(err, "chain spec")) from None
        return cls.from_dict(spec)

    def write(self, path: str | Path) -> None:
        """Write the spec to a ``.json``, ``.yaml`` or ``.yml`` file."""
        path = spec_path(path)
        path.write_text(self.to_json() if path.suffix == ".json" else self.to_yaml())

    @classmethod
    def read(cls, path: str | Path) -> Chain:
        """Read a spec from a ``.json``, ``.yaml`` or ``.yml`` file."""
        path = spec_path(path)
        text = path.read_text()
        return cls.from_json(text) if path.suffix == ".json" else cls.from_yaml(text)

    def __repr__(self) -> str:
        lines = [
            f"Chain: {len(self.stages)} stages, {len(self.links)} links, "
            f"{len(self.interventions)} interventions"
        ]
        lines += [f"  {role:<10} {', '.join(names)}" for role, names in self.by_role().items()]
        lines += [f"  construct  {s.name} <- {', '.join(s.items)}" for s in self.constructs]
        lines += [
            f"  link       {lk.label}" + (f" [{lk.form}]" if lk.form != "linear" else "")
            for lk in self.links
        ]
        lines += [
            f"  invest     {i.name} ({i.lever}) -> {', '.join(i.targets)}"
            for i in self.interventions
        ]
        return "\n".join(lines)
