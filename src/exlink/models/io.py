"""Saving and loading a fitted chain model: netCDF, no pickle.

The file holds the posterior and sample statistics, the panel the model was
fitted on (group ``exlink_panel``), and in its attributes the chain spec, the
priors, the exlink version and a digest of spec and priors that loading checks.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr

from exlink.data import Panel
from exlink.models.experiments import Experiment
from exlink.priors import Prior, priors_from_dict, priors_to_dict
from exlink.spec import Chain

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

PANEL_GROUP = "exlink_panel"
ENGINE = "h5netcdf"
SAVED_GROUPS = ("posterior", "sample_stats", "prior")
"""The groups of the fitted draws kept in the file (``prior``: prior draws of the effects)."""


def digest(chain_json: str, priors_json: str, experiments_json: str = "[]") -> str:
    """SHA-256 of the spec, priors and experiments, to detect a file changed by hand."""
    text = chain_json + "\n" + priors_json
    if experiments_json != "[]":
        text += "\n" + experiments_json
    return hashlib.sha256(text.encode()).hexdigest()


def save(model: ChainModel, path: Path) -> Path:
    """Write a fitted model to a netCDF file (see the module docstring)."""
    from exlink import __version__

    idata = model._require_idata()
    if path.suffix != ".nc":
        raise ValueError(f"save a model to a .nc file, got {path.name!r}.")
    chain_json = model.chain.to_json()
    priors_json = json.dumps(priors_to_dict(model.priors), sort_keys=True)
    experiments_json = json.dumps([e.to_dict() for e in model.experiments])
    groups = {
        f"/{name}": node.to_dataset()
        for name, node in idata.children.items()
        if name in SAVED_GROUPS
    }
    groups[f"/{PANEL_GROUP}"] = model.panel.to_xarray()
    tree = xr.DataTree.from_dict(groups)
    tree.attrs = {
        "exlink_version": __version__,
        "exlink_chain": chain_json,
        "exlink_priors": priors_json,
        "exlink_experiments": experiments_json,
        "exlink_digest": digest(chain_json, priors_json, experiments_json),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.to_netcdf(path, engine=ENGINE)
    return path


def load(path: Path) -> tuple[Chain, dict[str, Prior], Panel, xr.DataTree, list[Experiment]]:
    """Read a model file, checking that it is an exlink model and that it is intact."""
    from exlink import __version__

    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}.")
    tree = xr.open_datatree(path, engine=ENGINE).load()
    attrs = tree.attrs
    if "exlink_chain" not in attrs:
        raise ValueError(f"{path} is not an exlink model file (no chain spec inside).")
    experiments_json = str(attrs.get("exlink_experiments", "[]"))
    expected = digest(attrs["exlink_chain"], attrs["exlink_priors"], experiments_json)
    if expected != attrs.get("exlink_digest"):
        raise ValueError(
            f"{path}: the chain spec, priors or experiments were changed after saving."
        )
    saved = str(attrs.get("exlink_version", "unknown"))
    if saved.split(".")[:2] != __version__.split(".")[:2]:
        warnings.warn(
            f"{path} was saved by exlink {saved}; this is exlink {__version__}. "
            "Check its effects before relying on them.",
            UserWarning,
            stacklevel=3,
        )
    chain = Chain.from_json(attrs["exlink_chain"])
    priors = priors_from_dict(json.loads(attrs["exlink_priors"]))
    panel = Panel.from_xarray(tree[PANEL_GROUP].to_dataset())
    idata = xr.DataTree.from_dict(
        {f"/{name}": tree[name].to_dataset() for name in SAVED_GROUPS if name in tree.children}
    )
    experiments = [Experiment.from_dict(e) for e in json.loads(experiments_json)]
    return chain, priors, panel, idata, experiments
