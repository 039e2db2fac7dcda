"""What integrating a wide group of survey stages costs per log-density evaluation.

The chain is the shape of a CX programme measured by surveys: an engagement
and an enablement index (employee pulse surveys) feed six CX pillars
(customer survey), the pillars feed NPS (customer survey), NPS feeds next
month's retention and resolution feeds cost to serve. Every survey stage's
true values are integrated out in one group of nine latent stages and two
targets (:mod:`exlink.models.survey_filter`). The same panel is built twice,
with the surveys declared and without them, and for each the script prints
the time to compile the log density and its gradient (PyTensor's C backend,
so a warm compile cache shortens it) and the time of one evaluation.

Run from the repository root::

    .venv/bin/python benchmarks/survey_filter.py                   # 120 x 36
    .venv/bin/python benchmarks/survey_filter.py --units 30 --periods 12
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import exlink as xl
from exlink.models.graph import build_graph
from exlink.models.prior_set import PriorSet
from exlink.spec import Chain, Intervention, Link, Stage

PILLARS = ("personalisation", "integrity", "expectations", "resolution", "time_effort", "empathy")
SURVEYS = {
    "engagement": {"responses": 25, "sd": 15},
    "enablement": {"responses": 25, "sd": 15},
    "nps": {"responses": 100, "sd": 70},
    **{p: {"responses": 100, "sd": 18} for p in PILLARS},
}
CHAIN = Chain(
    stages=[
        Stage("engagement", "ex"),
        Stage("enablement", "ex"),
        *[Stage(p, "cx") for p in PILLARS],
        Stage("nps", "cx"),
        Stage("retention", "customer"),
        Stage("cost_to_serve", "financial"),
    ],
    links=[
        *[Link("engagement", p) for p in PILLARS],
        Link("enablement", "resolution"),
        Link("enablement", "time_effort"),
        *[Link(p, "nps") for p in PILLARS],
        Link("nps", "retention", lag=1),
        Link("resolution", "cost_to_serve"),
    ],
    interventions=[Intervention("coaching", ("engagement", "enablement"), lever="people")],
)


def cost(panel: xl.Panel, evaluations: int) -> tuple[float, float, int]:
    """Seconds to compile the log density and gradient, ms per evaluation, parameters."""
    design = xl.ChainModel(CHAIN).build(panel)._design
    model, _ = build_graph(design, PriorSet(design))
    start = time.perf_counter()
    function = model.logp_dlogp_function(ravel_inputs=True)
    function.set_extra_values({})
    point = np.concatenate([np.ravel(v) for v in model.initial_point().values()])
    function(point)
    compiled = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(evaluations):
        function(point)
    return compiled, (time.perf_counter() - start) / evaluations * 1000, point.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--periods", type=int, default=36)
    parser.add_argument("--evaluations", type=int, default=50)
    args = parser.parse_args()
    sim = xl.datasets.make_service_chain(
        args.units, args.periods, seed=1, chain=CHAIN, surveys=SURVEYS
    )
    with_surveys = sim.panel()
    plain = xl.Panel.from_frame(
        sim.data,
        unit=sim.unit,
        period=sim.period,
        stages=list(CHAIN.stage_names),
        interventions=list(CHAIN.intervention_names),
    )
    print(f"{args.units} units x {args.periods} periods, {len(SURVEYS)} survey stages")
    print(f"{'panel':<16}{'compile s':>11}{'ms per evaluation':>19}{'parameters':>12}")
    for name, panel in (("without surveys", plain), ("with surveys", with_surveys)):
        compiled, per_eval, size = cost(panel, args.evaluations)
        print(f"{name:<16}{compiled:>11.1f}{per_eval:>19.2f}{size:>12d}", flush=True)


if __name__ == "__main__":
    main()
