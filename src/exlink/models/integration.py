"""Which survey stages' true values are integrated out of the model exactly.

A survey stage whose true values feed links is *latent*: the links must see
its true value, not the noisy mean. Where every piece of the model those
values touch is linear and Gaussian, they can be integrated out exactly
instead of sampled, which removes one parameter per unit and period from the
sampler (see :mod:`exlink.models.survey_filter`). This module decides where,
from the design's structure alone.

A latent survey stage ``j`` is integrated when

- its own likelihood is normal;
- every link out of it is linear, and its target's likelihood is normal;
- every latent stage among those targets is integrated too (its equation's
  mean contains ``j``'s true value, which is no longer a sampled quantity);
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
  integrated one: its sampled true values are part of the target's mean.

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
        The integrated latent stages (the others are observed targets).
    links
        Positions (in the design's links) of the links out of the latent stages.
    """

    order: tuple[int, ...]
    offsets: Mapping[int, int]
    latent: frozenset[int]
    links: tuple[int, ...]

    @property
    def span(self) -> int:
        """Largest offset: the group has ``periods + span`` slices."""
        return max(self.offsets.values())


def integrated_groups(
    links: Sequence[_Link], latent: Set[int], student: Set[int]
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
    """
    chosen = {
        j
        for j in latent
        if j not in student
        and all(
            lk.form == "linear" and lk.target not in student and lk.target != j
            for lk in _out(links, j)
        )
    }
    return _settle(links, latent, frozenset(chosen), {})


def _settle(
    links: Sequence[_Link],
    latent: Set[int],
    chosen: frozenset[int],
    seen: dict[frozenset[int], tuple[IntegratedGroup, ...]],
) -> tuple[IntegratedGroup, ...]:
    """The groups of the most stages of ``chosen`` that can be integrated together.

    A stage stays integrated only while every latent target of its links is
    integrated too. Where the lags of a group do not line up, one of its
    stages must be sampled: each is tried in turn and the choice that keeps
    the most stages integrated wins (the first such, in stage order). A group
    of more than :data:`MAX_SEARCHED` stages is sampled whole instead.
    """
    if chosen in seen:
        return seen[chosen]
    start = chosen
    while True:
        kept = frozenset(
            j
            for j in chosen
            if all(lk.target in chosen for lk in _out(links, j) if lk.target in latent)
        )
        if kept == chosen:
            break
        chosen = kept
    groups, conflicted = _align(links, set(chosen))
    if conflicted:
        members = conflicted[0]
        if len(members) > MAX_SEARCHED:
            groups = _settle(links, latent, chosen - members, seen)
        else:
            tries = [_settle(links, latent, chosen - {j}, seen) for j in sorted(members)]
            groups = max(tries, key=lambda found: sum(len(g.latent) for g in found))
    seen[start] = groups
    return groups


def _out(links: Sequence[_Link], j: int) -> list[_Link]:
    return [lk for lk in links if lk.source == j]


def _align(
    links: Sequence[_Link], chosen: set[int]
) -> tuple[tuple[IntegratedGroup, ...], list[set[int]]]:
    """Split the chosen stages into groups; list the chosen stages of groups whose lags clash."""
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
        group_links = tuple(i for i, lk in edges if lk.source in members)
        groups.append(
            IntegratedGroup(
                order=_sources_first(members, [links[i] for i in group_links]),
                offsets={s: o - low for s, o in offsets.items()},
                latent=frozenset(members & chosen),
                links=group_links,
            )
        )
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
