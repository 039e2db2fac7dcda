import json

import pytest

from exlink.spec import LEVERS, ROLES, Chain, Intervention, Link, Stage, parse_link


@pytest.fixture
def chain():
    return Chain(
        stages=[
            Stage("engagement", "ex"),
            Stage("nps", "cx", likelihood="student_t"),
            Stage("retention", "customer"),
            Stage("revenue", "financial"),
        ],
        links=[
            Link("engagement", "nps", moderator="culture"),
            Link("nps", "retention", lag=1, form="threshold"),
            Link("retention", "revenue", lag=1),
            Link("engagement", "engagement", lag=1),
        ],
        interventions=[
            Intervention("coaching", "engagement", lever="people", fade=True),
            Intervention("redesign", ["nps", "retention"], lever="process", moderator="culture"),
        ],
    )


def test_vocabulary_matches_the_design():
    assert ROLES == ("ex", "cx", "customer", "financial")
    assert set(LEVERS) == {
        "people",
        "process",
        "data",
        "technology",
        "leadership",
        "culture",
        "mission_strategy",
        "business_model",
    }
    assert Intervention("x", "a", lever="culture").lever_kind == "strategic"
    assert Intervention("x", "a", lever="data").lever_kind == "operational"


def test_lookups(chain):
    assert chain.stage_names == ("engagement", "nps", "retention", "revenue")
    assert chain.by_role() == {
        "ex": ("engagement",),
        "cx": ("nps",),
        "customer": ("retention",),
        "financial": ("revenue",),
    }
    assert [lk.label for lk in chain.parents("retention")] == ["nps -> retention (lag 1)"]
    assert chain.downstream("coaching") == ("engagement", "nps", "retention", "revenue")
    assert chain.downstream("retention") == ("revenue",)
    assert chain.moderators == ("culture",)
    assert chain.max_lag == 1
    assert chain.intervention("redesign").targets == ("nps", "retention")


def test_topological_order_puts_lag0_sources_first():
    chain = Chain(
        stages=[Stage("c", "financial"), Stage("b", "cx"), Stage("a", "ex")],
        links=[Link("b", "c"), Link("a", "b"), Link("c", "a", lag=1)],
    )
    assert chain.topological_order() == ("a", "b", "c")


@pytest.mark.parametrize(
    "dump, load",
    [
        (Chain.to_dict, Chain.from_dict),
        (Chain.to_json, Chain.from_json),
        (Chain.to_yaml, Chain.from_yaml),
    ],
)
def test_round_trips(chain, dump, load):
    assert load(dump(chain)) == chain


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_file_round_trip(chain, tmp_path, suffix):
    path = tmp_path / f"chain{suffix}"
    chain.write(path)
    assert Chain.read(path) == chain


def test_file_format_refused(chain, tmp_path):
    with pytest.raises(ValueError, match=r"\.txt"):
        chain.write(tmp_path / "chain.txt")


def test_yaml_shorthand():
    chain = Chain.from_yaml(
        """
stages: {engagement: ex, nps: cx, retention: customer}
links:
  - engagement -> nps
  - nps -> retention (lag 2)
interventions:
  - {name: coaching, targets: engagement, lever: people}
"""
    )
    assert [lk.label for lk in chain.links] == ["engagement -> nps", "nps -> retention (lag 2)"]
    assert chain.stage("nps").role == "cx"
    assert chain.intervention("coaching").targets == ("engagement",)


def test_from_roles_links_adjacent_roles():
    chain = Chain.from_roles(
        {"ex": ["engagement", "enablement"], "cx": "nps", "financial": "revenue"},
        interventions={"coaching": ("people", ["engagement"])},
        lag=1,
    )
    assert [lk.label for lk in chain.links] == [
        "engagement -> nps (lag 1)",
        "enablement -> nps (lag 1)",
        "nps -> revenue (lag 1)",
    ]
    assert chain.intervention("coaching").lever == "people"


def test_from_roles_with_explicit_links():
    chain = Chain.from_roles({"ex": "e", "cx": "c"}, links=["e -> c (lag 3)"])
    assert chain.links == (Link("e", "c", lag=3),)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: Stage("nps", "customer_experience"), ["customer_experience", "cx"]),
        (lambda: Stage("nps", "cx", likelihood="poisson"), ["poisson", "likelihood"]),
        (lambda: Stage(" nps", "cx"), ["' nps'"]),
        (lambda: Stage(3, "cx"), ["string"]),
        (lambda: Link("a", "b", lag=-1), ["lag", "-1"]),
        (lambda: Link("a", "b", lag=1.5), ["lag", "1.5"]),
        (lambda: Link("a", "a"), ["itself"]),
        (lambda: Link("a", "b", form="sigmoid"), ["sigmoid", "form"]),
        (lambda: Intervention("coaching", [], lever="people"), ["coaching", "targets nothing"]),
        (lambda: Intervention("coaching", "e", lever="peeple"), ["peeple", "people"]),
        (lambda: Intervention("coaching", ["e", "e"], lever="people"), ["twice"]),
    ],
)
def test_parts_refuse_bad_values(make, words):
    with pytest.raises((ValueError, TypeError)) as err:
        make()
    for word in words:
        assert word in str(err.value)


def _stages():
    return [Stage("e", "ex"), Stage("c", "cx"), Stage("r", "customer")]


@pytest.mark.parametrize(
    "links, interventions, words",
    [
        ([Link("e", "cc")], [], ["'cc'", "Did you mean 'c'?"]),
        ([Link("e", "c"), Link("c", "r"), Link("r", "e")], [], ["cycle", "e -> c -> r -> e"]),
        ([Link("e", "c"), Link("e", "c")], [], ["more than once"]),
        ([], [Intervention("k", "nps", lever="people")], ["'k'", "'nps'"]),
        ([], [Intervention("e", "c", lever="people")], ["both a stage and an intervention"]),
    ],
)
def test_chain_refuses_bad_structure(links, interventions, words):
    with pytest.raises(ValueError) as err:
        Chain(_stages(), links, interventions)
    for word in words:
        assert word in str(err.value)


def test_cycle_broken_by_a_lag_is_allowed():
    chain = Chain(_stages(), [Link("e", "c"), Link("c", "r"), Link("r", "e", lag=1)])
    assert chain.max_lag == 1


def test_unknown_keys_are_refused_with_a_suggestion():
    spec = {"stages": [{"name": "e", "role": "ex"}], "lnks": []}
    with pytest.raises(ValueError, match=r"'lnks'.*Did you mean 'links'"):
        Chain.from_dict(spec)
    with pytest.raises(ValueError, match="'lagg'"):
        Chain.from_dict(
            {"stages": {"e": "ex", "c": "cx"}, "links": [{"source": "e", "target": "c", "lagg": 1}]}
        )
    with pytest.raises(ValueError, match="role"):
        Chain.from_dict({"stages": [{"name": "e"}]})


def test_bad_link_text():
    with pytest.raises(ValueError, match="source -> target"):
        parse_link("engagement to nps")


def test_spec_is_frozen(chain):
    with pytest.raises(AttributeError):
        chain.stages[0].role = "cx"


def test_json_is_plain(chain):
    data = json.loads(chain.to_json())
    assert data["interventions"][1]["targets"] == ["nps", "retention"]
    assert data["links"][1] == {
        "source": "nps",
        "target": "retention",
        "lag": 1,
        "form": "threshold",
        "moderator": None,
    }


def test_lookup_of_unknown_stage_suggests(chain):
    with pytest.raises(KeyError, match="Did you mean 'nps'"):
        chain.stage("nsp")
