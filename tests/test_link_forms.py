import numpy as np
import pytensor.tensor as pt
import pytest

import exlink as xl
from exlink.link_forms import get_link_form, link_form_names, unregister_link_form
from exlink.transforms import link_form


@pytest.fixture
def softsign():
    form = xl.register_link_form(
        "softsign",
        numpy=lambda u: u / (1 + np.abs(u)),
        tensor=lambda u: u / (1 + pt.abs(u)),
        description="heavy-tailed saturation",
    )
    yield form
    unregister_link_form("softsign")


def test_a_registered_form_is_a_choice_for_links(softsign):
    assert "softsign" in link_form_names()
    link = xl.Link("engagement", "nps", form="softsign")
    assert link.form == "softsign"
    np.testing.assert_allclose(link_form("softsign", [2.0, 6.0], 2.0, 2.0), [0.0, 2 * 2 / 3])


def test_an_unknown_form_names_the_choices_and_registration():
    with pytest.raises(ValueError, match="softsine"):
        xl.Link("engagement", "nps", form="softsine")
    with pytest.raises(ValueError, match="register_link_form"):
        get_link_form("softsine")


def test_built_in_forms_cannot_be_replaced_or_removed():
    with pytest.raises(ValueError, match="built in"):
        xl.register_link_form("threshold", np.tanh, pt.tanh)
    with pytest.raises(ValueError, match="built in"):
        unregister_link_form("linear")


def test_a_name_is_registered_once_unless_replaced(softsign):
    with pytest.raises(ValueError, match="replace=True"):
        xl.register_link_form("softsign", np.tanh, pt.tanh)
    xl.register_link_form(
        "softsign", lambda u: u / (1 + np.abs(u)), lambda u: u / (1 + pt.abs(u)), replace=True
    )


def test_twins_that_disagree_are_refused():
    with pytest.raises(ValueError, match="disagree"):
        xl.register_link_form("wrong", np.tanh, lambda u: u)
    with pytest.raises(ValueError, match="failed on test points"):
        xl.register_link_form("broken", lambda u: u, lambda u: u.no_such_method())
    with pytest.raises(ValueError, match="identifier"):
        xl.register_link_form("two words", np.tanh, pt.tanh)
    assert "wrong" not in link_form_names()


def test_a_model_with_a_registered_form_has_its_parameters_and_a_finite_density(softsign):
    data = xl.datasets.make_service_chain(n_units=6, n_periods=8, seed=3)
    chain = data.chain.to_dict()
    chain["links"][1]["form"] = "softsign"
    chain = xl.Chain.from_dict(chain)
    label = chain.links[1].label
    model = xl.ChainModel(chain).build(data.panel())
    assert list(model.pymc_model.coords["nonlinear_link"]) == [label]
    logp = model.pymc_model.compile_logp()(model.pymc_model.initial_point())
    assert np.isfinite(logp)


def test_a_chain_file_naming_an_unregistered_form_says_to_register_it():
    text = (
        '{"stages": [{"name": "e", "role": "ex"}, {"name": "c", "role": "cx"}], '
        '"links": [{"source": "e", "target": "c", "form": "softsign"}]}'
    )
    with pytest.raises(ValueError, match=r"'softsign'.*register_link_form"):
        xl.Chain.from_json(text)
