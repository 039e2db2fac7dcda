"""Which survey stages' true values are integrated out of the model exactly.

A survey stage whose true values feed links is *latent*: the links must see
its true value, not the noisy mean. Where every piece of the model those
values touch is linear and Gaussian, they can be integrated out exactly
instead of sampled, which removes one parameter per unit and period from the
sampler (see :mod:`exlink.models.survey_filter`). This module decides where,
from the design's structure alone.

A latent survey stage ``j`` is integrated when

- its own likelihood is normal;
- every link out of it is linear;
- the lags line up: the integrated stages and the targets of their links
  form groups (connected by those links) in which every stage has an offset
  ``o`` with ``o[target] = o[source] + lag`` for every link. Then, per unit,
  the true values of one group at times ``t + o[stage]`` depend on nothing of
  another ``t``: the group is a small Gaussian network per unit and ``t``,
  integrated exactly by sequential conditioning. A link from a latent stage
  to itself (an autoregression), or two paths of different total lag between
  two stages, couple every period of a unit: a stage with an autoregression
  is sampled, and where lags of a group do not line up, the fewest stages
  are sampled that let the rest line up. A sampled stage may still feed an
  integrated one: its sampled true values are part of the target's mean;
- at most one target of the group's links is *folded*: a target whose
  equation is not a normal density of values the group can condition on (a
  latent stage that is sampled, a construct, or a stage with a Student-t
  likelihood).
  Its equation's mean holds the sum of the group's links into it, ``u =
  sum of b[a] * x[a]``: one value per unit and period, whatever the number
  of integrated stages feeding it. Given the group's observed values ``u``
  is normal, so it is sampled from that normal (one parameter per cell
  instead of one per source and cell), and the target's own equation, of
  any likelihood, takes it as part of its mean. Six survey pillars feeding
  a Student-t or autoregressive NPS cost one sampled value per cell, not
  six. A folded target may feed itself or another folded target, but no
  other stage of any group (its values come after the groups'); where it
  would, its sources are sampled instead.

Everything else is sampled as before (:mod:`exlink.models.latent`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Protocol

MAX_SEARCHED = 12
"""The most integrated stages of one group searched for the best one to sample."""


class _Link(Protocol):
    source: int
    target: int
    lag: int
    form: str


@dataclass(frozen=True)
class IntegratedGroup:
    """Stages whose true values are integrated out together, per unit and time.

    Attributes
    ----------
    order
        Every stage of the group, sources before targets: the integrated
        latent stages and the targets of the links out of them.
    offsets
        Stage -> its time offset in the group (the smallest is 0): the values
        of stage ``s`` at time ``t + offsets[s]`` belong to the group's slice ``t``.
    latent
        The integrated latent stages (the others are targets).
    links
        Positions (in the design's links) of the links out of the latent stages.
    folded
        The folded target, if any (last in ``order``): a target whose input
        from the group is sampled (see the module text), not conditioned on.
    """

    order: tuple[int, ...]
    offsets: Mapping[int, int]
    latent: frozenset[int]
    links: tuple[int, ...]
    folded: frozenset[int] = frozenset()

    @property
    def span(self) -> int:
        """Largest offset: the group has ``periods + span`` slices."""
        return max(self.offsets.values())


def integrated_groups(
    links: Sequence[_Link],
    latent: Set[int],
    student: Set[int],
    sampled: Set[int] = frozenset(),
) -> tuple[IntegratedGroup, ...]:
    """The groups of latent stages whose true values can be integrated out.

    Parameters
    ----------
    links
        The design's links (``source``, ``target``, ``lag``, ``form``).
    latent
        Stages whose true values are latent (survey stages feeding a link or
        with a Student-t likelihood).
    student
        Stages with a Student-t likelihood.
    sampled
        Stages whose latent values are sampled whatever their links
        (constructs, measured by their items): folded targets where
        integrated stages feed them.
    """
    chosen = {
        j
        for j in latent
        if j not in student
        and j not in sampled
        and all(lk.form == "linear" and lk.target != j for lk in _out(links, j))
    }
    everything = frozenset(latent) | frozenset(sampled)
    return _settle(links, everything, frozenset(student), frozenset(chosen), {})


def _settle(
    links: Sequence[_Link],
    latent: Set[int],
    student: Set[int],
    chosen: frozenset[int],
    seen: dict[frozenset[int], tuple[IntegratedGroup, ...]],
) -> tuple[IntegratedGroup, ...]:
    """The groups of the most stages of ``chosen`` that can be integrated together.

    Where the lags of a group do not line up, where it has more than one
    folded target, or where a folded target feeds a stage of a group, one of
    its stages must be sampled: each is tried in turn and the choice that
    keeps the most stages integrated wins (the first such, in stage order). A
    group of more than :data:`MAX_SEARCHED` stages is sampled whole instead.
    """
    if chosen in seen:
        return seen[chosen]
    groups, conflicted = _align(links, set(chosen), latent, student)
    if conflicted:
        members = conflicted[0]
        if len(members) > MAX_SEARCHED:
            groups = _settle(links, latent, student, chosen - members, seen)
        else:
            tries = [_settle(links, latent, student, chosen - {j}, seen) for j in sorted(members)]
            groups = max(tries, key=lambda found: sum(len(g.latent) for g in found))
    seen[chosen] = groups
    return groups


def _out(links: Sequence[_Link], j: int) -> list[_Link]:
    return [lk for lk in links if lk.source == j]


def _align(
    links: Sequence[_Link], chosen: set[int], latent: Set[int], student: Set[int]
) -> tuple[tuple[IntegratedGroup, ...], list[set[int]]]:
    """Split the chosen stages into groups; list the chosen stages of groups that cannot be.

    A group cannot be integrated when its lags clash, when it has more than
    one folded target, or when a folded target feeds a stage of any group
    other than a folded one.
    """
    edges = [(i, lk) for i, lk in enumerate(links) if lk.source in chosen]
    neighbours: dict[int, list[tuple[int, int]]] = {}
    for _, lk in edges:
        neighbours.setdefault(lk.source, []).append((lk.target, lk.lag))
        neighbours.setdefault(lk.target, []).append((lk.source, -lk.lag))
    seen: set[int] = set()
    groups, conflicted = [], []
    for start in sorted(chosen):
        if start in seen:
            continue
        offsets, consistent, queue = {start: 0}, True, [start]
        while queue:
            node = queue.pop()
            for other, lag in neighbours.get(node, []):
                if other not in offsets:
                    offsets[other] = offsets[node] + lag
                    queue.append(other)
                elif offsets[other] != offsets[node] + lag:
                    consistent = False
        seen.update(offsets)
        if not consistent:
            conflicted.append(set(offsets) & chosen)
            continue
        low = min(offsets.values())
        members = set(offsets)
        folded = frozenset(s for s in members - chosen if s in student or s in latent)
        if len(folded) > 1:
            conflicted.append(members & chosen)
            continue
        group_links = tuple(i for i, lk in edges if lk.source in members)
        order = _sources_first(members - folded, [links[i] for i in group_links])
        groups.append(
            IntegratedGroup(
                order=(*order, *sorted(folded)),
                offsets={s: o - low for s, o in offsets.items()},
                latent=frozenset(members & chosen),
                links=group_links,
                folded=folded,
            )
        )
    # A folded target's values come after every group's: none of them may need it.
    grouped = {s for g in groups for s in g.order if s not in g.folded}
    for group in list(groups):
        if any(lk.source in group.folded and lk.target in grouped for lk in links):
            groups.remove(group)
            conflicted.append(set(group.latent))
    return tuple(groups), conflicted


def _sources_first(members: set[int], links: Sequence[_Link]) -> tuple[int, ...]:
    """The members in an order where every link's source precedes its target."""
    order: list[int] = []
    waiting = set(members)
    while waiting:
        ready = sorted(
            s for s in waiting if not any(lk.target == s and lk.source in waiting for lk in links)
        )
        if not ready:  # pragma: no cover - aligned lags leave no cycle
            raise RuntimeError("integrated stages form a cycle")
        order.extend(ready)
        waiting -= set(ready)
    return tuple(order)
