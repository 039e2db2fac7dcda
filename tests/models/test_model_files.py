"""Model files: whatever save writes, load reads; a changed or broken file is refused by name."""

import string

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import exlink as xl
from exlink.models.io import ModelFileError

CHAIN = xl.Chain.from_roles(
    {"ex": "engagement", "cx": "nps"},
    interventions={"coaching": ("people", "engagement")},
    links=["engagement -> nps"],
)


CURVED = xl.Chain(
    stages=[xl.Stage("engagement", "ex"), xl.Stage("nps", "cx")],
    links=[xl.Link("engagement", "nps", form="saturating")],
    interventions=[xl.Intervention("coaching", "engagement", lever="people")],
)


def fake_fitted(panel, seed=0, chain=CHAIN):
    """A built model with a small stand-in posterior: the file layer samples nothing."""
    model = xl.ChainModel(chain).build(panel)
    rng = np.random.default_rng(seed)
    posterior = xr.Dataset(
        {
            "beta_std": (("chain", "draw", "link"), rng.normal(size=(2, 5, 1))),
            "gamma_std[people]": (("chain", "draw"), rng.normal(size=(2, 5))),
            "gamma_std": (("chain", "draw", "effect"), rng.normal(size=(2, 5, 1))),
        },
        coords={"link": ["engagement -> nps"], "effect": ["coaching -> engagement"]},
    )
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((2, 5), dtype=bool))})
    model.idata = xr.DataTree.from_dict({"/posterior": posterior, "/sample_stats": stats})
    return model


def frame(units, periods, seed=0):
    rng = np.random.default_rng(seed)
    rows = [(u, t) for u in units for t in periods]
    data = pd.DataFrame(rows, columns=["branch", "month"])
    data["engagement"] = rng.normal(70, 5, len(data))
    data["nps"] = rng.normal(30, 8, len(data))
    data["coaching"] = (rng.random(len(data)) < 0.5).astype(float)
    return data


def panel_of(data):
    return xl.Panel.from_frame(
        data,
        unit="branch",
        period="month",
        stages=["engagement", "nps"],
        interventions=["coaching"],
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.nc"
    fake_fitted(panel_of(frame(["b1", "b2", "b3"], range(1, 7)))).save(path)
    return path


labels = st.one_of(
    st.lists(
        st.text(string.ascii_letters + "éü _-.0123456789", min_size=1, max_size=8),
        min_size=3,
        max_size=4,
        unique=True,
    ),
    st.lists(st.integers(-(10**9), 10**9), min_size=3, max_size=4, unique=True),
)
periods = st.one_of(
    st.integers(-1000, 10**6).map(lambda first: list(range(first, first + 4))),
    st.tuples(st.integers(1900, 2195), st.sampled_from([1, 3])).map(
        lambda ys: list(pd.date_range(f"{ys[0]}-01-01", periods=4, freq=f"{ys[1]}MS"))
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units=labels, grid=periods)
def test_whatever_save_writes_load_reads(units, grid, tmp_path_factory):
    """Property: every panel Panel.from_frame accepts saves and loads back unchanged."""
    data = frame(units, grid)
    try:
        panel = panel_of(data)
    except (TypeError, ValueError):
        return  # refused at the door, with a message: nothing to save
    path = tmp_path_factory.mktemp("roundtrip") / "model.nc"
    model = fake_fitted(panel)
    model.save(path)
    back = xl.ChainModel.load(path)
    assert list(back.panel.units) == list(panel.units)
    assert list(back.panel.periods) == list(panel.periods)
    np.testing.assert_array_equal(back.panel.stages.values, panel.stages.values)
    xr.testing.assert_equal(back.idata.posterior.to_dataset(), model.idata.posterior.to_dataset())
    assert back.chain == CHAIN


def rewrite(path, target, change):
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    groups = {name: tree[name].to_dataset() for name in tree.children}
    change(groups)
    new = xr.DataTree.from_dict({f"/{k}": v for k, v in groups.items()})
    new.attrs = dict(tree.attrs)
    new.to_netcdf(target, engine="h5netcdf")
    return target


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda g: g["posterior"].__setitem__("beta_std", g["posterior"]["beta_std"] * 10),
            ["changed"],
        ),
        (lambda g: g.__setitem__("posterior", g["posterior"].drop_vars("gamma_std")), ["changed"]),
        (lambda g: g.pop("posterior"), ["'posterior'", "missing"]),
        (lambda g: g.pop("exlink_panel"), ["'exlink_panel'", "missing"]),
        (
            lambda g: g.__setitem__(
                "exlink_panel", g["exlink_panel"].assign(stages=g["exlink_panel"]["stages"] + 1)
            ),
            ["data were changed"],
        ),
        (
            lambda g: g.__setitem__(
                "sample_stats", g["sample_stats"].assign(diverging=~g["sample_stats"]["diverging"])
            ),
            ["changed"],
        ),
    ],
)
def test_files_whose_numbers_changed_are_refused(saved, tmp_path, change, words):
    target = rewrite(saved, tmp_path / "changed.nc", change)
    with pytest.raises(ModelFileError) as info:
        xl.ChainModel.load(target)
    assert str(target) in str(info.value)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_the_unchanged_rewrite_loads(saved, tmp_path):
    target = rewrite(saved, tmp_path / "same.nc", lambda groups: None)
    assert xl.ChainModel.load(target).panel.n_units == 3


def with_version(path, target, version):
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    tree.attrs["exlink_version"] = version
    tree.to_netcdf(target, engine="h5netcdf")
    return target


def test_a_curved_link_saved_before_average_slopes_is_refused(tmp_path):
    """Before 0.2 a curved link's coefficient was its slope at the reference: refit."""
    path = fake_fitted(panel_of(frame(["b1", "b2", "b3"], range(1, 7))), chain=CURVED).save(
        tmp_path / "curved.nc"
    )
    assert xl.ChainModel.load(path).chain == CURVED
    old = with_version(path, tmp_path / "old.nc", "0.1.0")
    with pytest.raises(ModelFileError, match=r"engagement -> nps.*Fit the model again"):
        xl.ChainModel.load(old)


def test_a_linear_chain_saved_by_another_release_loads_with_a_warning(saved, tmp_path):
    old = with_version(saved, tmp_path / "old.nc", "0.1.0")
    with pytest.warns(UserWarning, match="saved by exlink 0.1.0"):
        assert xl.ChainModel.load(old).chain == CHAIN


@pytest.mark.parametrize(
    "content",
    [b"", b"\x89HDF\r\n\x1a\n" + b"\0" * 40, bytes(np.random.default_rng(1).integers(0, 256, 999))],
)
def test_broken_files_are_refused_with_one_message(tmp_path, content):
    path = tmp_path / "model.nc"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="not a readable exlink model file"):
        xl.ChainModel.load(path)


def test_truncated_and_foreign_netcdf_files_are_refused(saved, tmp_path):
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="not a readable"):
        xl.ChainModel.load(truncated)
    foreign = tmp_path / "foreign.nc"
    xr.Dataset({"x": ("t", np.arange(3.0))}).to_netcdf(foreign, engine="scipy")
    with pytest.raises(ModelFileError, match=r"not a readable|not an exlink"):
        xl.ChainModel.load(foreign)
    with pytest.raises(ValueError, match="folder"):
        xl.ChainModel.load(tmp_path)


def test_a_failed_save_leaves_nothing_behind(tmp_path, monkeypatch):
    model = fake_fitted(panel_of(frame(["b1", "b2", "b3"], range(1, 7))))

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "model.nc")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("where", "words"),
    [("model.txt", [".nc file"]), ("folder", ["is a folder"]), ("afile/model.nc", ["is a file"])],
)
def test_save_refuses_paths_that_cannot_take_the_file(tmp_path, where, words):
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("x")
    if where == "folder":
        (tmp_path / "folder" / "x").write_text("x")
    model = fake_fitted(panel_of(frame(["b1", "b2", "b3"], range(1, 7))))
    target = tmp_path / where
    if where == "folder":
        target = target.with_suffix(".nc")
        target.mkdir()
    with pytest.raises(ValueError) as info:
        model.save(target)
    for word in words:
        assert word in str(info.value)
