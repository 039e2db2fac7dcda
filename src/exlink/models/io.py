"""Saving and loading a fitted chain model: netCDF, no pickle.

The file holds the posterior and sample statistics, the panel the model was
fitted on (group ``exlink_panel``), and in its attributes the chain spec, the
priors, the exlink version, a digest of spec and priors, and a digest of every
number in every group (posterior, sample statistics, prior draws, data).
Loading recomputes both and refuses a file whose spec or numbers changed.
Writing goes to a temporary file beside the target, renamed when complete:
a failed save leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import h5netcdf
import numpy as np
import xarray as xr

from exlink._paths import check_input_file, check_output_file
from exlink._version import __version__
from exlink.data import Panel
from exlink.dims import LATENT_PREFIX
from exlink.models.diagnostics import LATENT_GROUP, latent_diagnostics
from exlink.models.experiments import Experiment
from exlink.priors import Prior, priors_from_dict, priors_to_dict
from exlink.spec import Chain

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

PANEL_GROUP = "exlink_panel"
ENGINE = "h5netcdf"
SAVED_GROUPS = ("posterior", "sample_stats", "prior", LATENT_GROUP)
"""The groups of the fitted draws kept in the file (``prior``: prior draws of the effects;
``latent_diagnostics``: R-hat and ESS of survey stages' latent true values, whose draws
are left out: one per unit, period and draw, they would make the file large)."""
REQUIRED_GROUPS = ("posterior", PANEL_GROUP)


class ModelFileError(ValueError):
    """A model file that cannot be read as an intact exlink model; the message says why."""


def digest(
    chain_json: str, priors_json: str, experiments_json: str = "[]", pilots_json: str = "[]"
) -> str:
    """SHA-256 of the spec, priors, experiments and pilots, to detect a file changed by hand."""
    text = chain_json + "\n" + priors_json
    if experiments_json != "[]" or pilots_json != "[]":
        text += "\n" + experiments_json
    if pilots_json != "[]":
        text += "\n" + pilots_json
    return hashlib.sha256(text.encode()).hexdigest()


def data_digest(groups: dict[str, xr.Dataset]) -> str:
    """SHA-256 of every variable and coordinate of every group: names, dims, types and values."""
    sha = hashlib.sha256()
    for name in sorted(groups):
        dataset = groups[name]
        sha.update(f"group {name}\n".encode())
        for key in sorted(map(str, dataset.variables)):
            variable = dataset.variables[key]
            values = np.asarray(variable.values)
            sha.update(f"{key} {variable.dims} {values.shape}\n".encode())
            if values.dtype.kind in "mM":
                # Time precision (ns, us, s) may change through a file; the instants do not.
                values = values.astype(values.dtype.str[:-4] + "[s]")
            if values.dtype.kind in "OUS":
                sha.update(json.dumps([str(v) for v in values.ravel()]).encode())
            else:
                sha.update(values.dtype.str.encode())
                sha.update(np.ascontiguousarray(values).tobytes())
    return sha.hexdigest()


def save(model: ChainModel, path: Path) -> Path:
    """Write a fitted model to a netCDF file (see the module docstring)."""
    idata = model.fitted.idata
    check_output_file(path, ".nc")
    chain_json = model.chain.to_json()
    priors_json = json.dumps(priors_to_dict(model.priors), sort_keys=True)
    experiments_json = json.dumps([e.to_dict() for e in model.experiments])
    pilots_json = json.dumps([e.to_dict() for e in model.pilots])
    groups = {
        name: node.to_dataset() for name, node in idata.children.items() if name in SAVED_GROUPS
    }
    latent = [n for n in groups["posterior"].data_vars if str(n).startswith(LATENT_PREFIX)]
    if latent:
        groups[LATENT_GROUP] = latent_diagnostics(groups["posterior"])
        groups["posterior"] = groups["posterior"].drop_vars(latent)
    groups[PANEL_GROUP] = model.panel.to_xarray()
    tree = xr.DataTree.from_dict({f"/{name}": data for name, data in groups.items()})
    tree.attrs = {
        "exlink_version": __version__,
        "exlink_chain": chain_json,
        "exlink_priors": priors_json,
        "exlink_experiments": experiments_json,
        "exlink_pilots": pilots_json,
        "exlink_digest": digest(chain_json, priors_json, experiments_json, pilots_json),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    try:
        tree.to_netcdf(temporary, engine=ENGINE)
        # The digest is of the numbers as they read back (a file stores some types its own
        # way, such as text arrays with gaps), added to the file before it takes its name.
        with xr.open_datatree(temporary, engine=ENGINE) as written:
            stored = data_digest({name: written[name].to_dataset() for name in written.children})
        with h5netcdf.File(temporary, "a") as file:
            file.attrs["exlink_data_digest"] = stored
        temporary.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return path


CURVES_AS_AVERAGE_SLOPES = (0, 2)
"""The first release whose model files hold a curved link's coefficient as its average
slope across the source's central range (before: its slope at the reference)."""


def _release(version: str) -> tuple[int, int]:
    """``(major, minor)`` of a version string; ``(0, 0)`` when it cannot be read."""
    try:
        major, minor = version.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return 0, 0


def load(
    path: Path,
) -> tuple[Chain, dict[str, Prior], Panel, xr.DataTree, list[Experiment], list[Experiment]]:
    """Read a model file, checking that it is an exlink model and that it is intact.

    Returns the chain, priors, panel, inference data, experiments and pilots
    of new investments.
    """
    check_input_file(path, "model file")
    try:
        tree = xr.open_datatree(path, engine=ENGINE).load()
    except Exception as err:  # h5py and netCDF readers raise many kinds
        reason = " ".join(str(err).split())[:200] or type(err).__name__
        raise ModelFileError(
            f"{path} is not a readable exlink model file ({reason}): give a file written by "
            "ChainModel.save or 'exlink fit'."
        ) from None
    attrs = tree.attrs
    if "exlink_chain" not in attrs:
        raise ModelFileError(f"{path} is not an exlink model file (no chain spec inside).")
    missing = [g for g in REQUIRED_GROUPS if g not in tree.children]
    if missing:
        raise ModelFileError(
            f"{path}: the group {missing[0]!r} is missing; the file is damaged. Fit and save the "
            "model again."
        )
    experiments_json = str(attrs.get("exlink_experiments", "[]"))
    pilots_json = str(attrs.get("exlink_pilots", "[]"))
    expected = digest(
        str(attrs["exlink_chain"]), str(attrs.get("exlink_priors")), experiments_json, pilots_json
    )
    if expected != attrs.get("exlink_digest"):
        raise ModelFileError(
            f"{path}: the chain spec, priors or experiments were changed after saving."
        )
    groups = {name: tree[name].to_dataset() for name in tree.children}
    if "exlink_data_digest" not in attrs:
        raise ModelFileError(
            f"{path} carries no digest of its numbers (written by an older exlink), so it "
            "cannot be checked: fit and save the model again."
        )
    if data_digest(groups) != attrs["exlink_data_digest"]:
        raise ModelFileError(
            f"{path}: the posterior, sample statistics, prior draws or data were changed after "
            "saving. Use the file as written by ChainModel.save, or fit again."
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
    curved = [lk.label for lk in chain.links if lk.form != "linear"]
    if curved and _release(saved) < CURVES_AS_AVERAGE_SLOPES:
        raise ModelFileError(
            f"{path} was saved by exlink {saved}, which wrote the coefficient of a curved link "
            f"({curved[0]!r}) as its slope at the reference; this exlink reads it as the "
            "average slope across the source's data. Fit the model again with this version."
        )
    priors = priors_from_dict(json.loads(attrs["exlink_priors"]))
    panel = Panel.from_xarray(groups[PANEL_GROUP])
    idata = xr.DataTree.from_dict(
        {f"/{name}": groups[name] for name in SAVED_GROUPS if name in groups}
    )
    experiments = [Experiment.from_dict(e) for e in json.loads(experiments_json)]
    pilots = [Experiment.from_dict(e) for e in json.loads(pilots_json)]
    return chain, priors, panel, idata, experiments, pilots
