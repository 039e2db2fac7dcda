"""The registry of link forms: how a link's source value moves its target.

A link form is a smooth increasing curve ``g``; a link of that form moves its
target along ``scale * g((x - reference) / scale)``, ``reference`` and
``scale`` estimated per link, anchored at the source's mean and rescaled so
that the link's coefficient is its average slope across the central range of
the source's data (:func:`exlink.transforms.link_curve`). Two forms are built
in besides ``"linear"`` (no curve):

``saturating``
    ``tanh``: diminishing returns on both sides of the reference.
``threshold``
    ``softplus``: the target moves only once the source passes the
    reference; slope 1/2 at the reference, 1 well above it.

A researcher adds a form with :func:`register_link_form`, giving the curve
twice: once for NumPy arrays (simulation) and once for PyTensor tensors (the
model). Register it before building, fitting or loading a chain that uses it.

Examples
--------
>>> import numpy as np
>>> import pytensor.tensor as pt
>>> from exlink.link_forms import link_form_names, register_link_form
>>> form = register_link_form(
...     "softsign",
...     numpy=lambda u: u / (1 + np.abs(u)),
...     tensor=lambda u: u / (1 + pt.abs(u)),
...     description="saturating with heavy tails",
... )
>>> "softsign" in link_form_names()
True
>>> from exlink.link_forms import unregister_link_form
>>> unregister_link_form("softsign")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LINEAR = "linear"


@dataclass(frozen=True)
class LinkForm:
    """A registered link form.

    Parameters
    ----------
    name
        The name a :class:`~exlink.spec.Link` gives as ``form=``.
    numpy
        The curve ``g`` on NumPy arrays.
    tensor
        The same curve on PyTensor tensors.
    description
        One line for documentation and reports.
    """

    name: str
    numpy: Callable[[np.ndarray], np.ndarray]
    tensor: Callable
    description: str = ""


def _softplus_numpy(u: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, u)


def _tanh_tensor(u):
    import pytensor.tensor as pt

    return pt.tanh(u)


def _softplus_tensor(u):
    import pytensor.tensor as pt

    return pt.softplus(u)


_BUILT_IN = {
    "saturating": LinkForm("saturating", np.tanh, _tanh_tensor, "diminishing returns (tanh)"),
    "threshold": LinkForm(
        "threshold", _softplus_numpy, _softplus_tensor, "moves once past a level (softplus)"
    ),
}
_REGISTRY: dict[str, LinkForm] = dict(_BUILT_IN)


def register_link_form(
    name: str,
    numpy: Callable[[np.ndarray], np.ndarray],
    tensor: Callable,
    *,
    description: str = "",
    replace: bool = False,
) -> LinkForm:
    """Add a link form that chains can name as ``Link(..., form=name)``.

    Parameters
    ----------
    name
        The form's name: letters, digits and underscores.
    numpy, tensor
        The curve ``g(u)`` on NumPy arrays and on PyTensor tensors; they must
        agree. ``g`` should be smooth and increasing; its slope at ``u = 0``
        does not matter, since a link's coefficient is its average slope
        across the data.
    description
        One line for documentation and reports.
    replace
        Allow replacing a form registered before (never a built-in one).

    Returns
    -------
    LinkForm
        The registered form.

    Raises
    ------
    ValueError
        If the name is not an identifier, is built in, or is taken and
        ``replace`` is false; or if the two curves disagree at a few points.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a link form's name must be an identifier, got {name!r}.")
    if name == LINEAR or name in _BUILT_IN:
        raise ValueError(f"link form {name!r} is built in and cannot be replaced.")
    if name in _REGISTRY and not replace:
        raise ValueError(
            f"link form {name!r} is already registered; pass replace=True to replace it."
        )
    if not callable(numpy) or not callable(tensor):
        raise TypeError(f"link form {name!r}: numpy and tensor must be functions of one array.")
    form = LinkForm(name, numpy, tensor, description)
    _check_twins(form)
    _REGISTRY[name] = form
    return form


def unregister_link_form(name: str) -> None:
    """Remove a form added by :func:`register_link_form` (built-in ones stay)."""
    if name in _BUILT_IN or name == LINEAR:
        raise ValueError(f"link form {name!r} is built in and cannot be removed.")
    if name not in _REGISTRY:
        raise ValueError(f"no link form {name!r} is registered.")
    del _REGISTRY[name]


def link_form_names() -> tuple[str, ...]:
    """Every form a link may name: ``"linear"``, the built-in and the registered ones."""
    return (LINEAR, *_REGISTRY)


def get_link_form(name: str) -> LinkForm:
    """The registered form ``name``; a clear error names the choices."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown link form {name!r}; choose from {', '.join(link_form_names())}, "
            "or register it first with exlink.register_link_form."
        ) from None


def _check_twins(form: LinkForm) -> None:
    """Refuse a form whose NumPy and PyTensor curves disagree."""
    import pytensor
    import pytensor.tensor as pt

    points = np.linspace(-4.0, 4.0, 17)
    u = pt.dvector("u")
    try:
        expected = np.asarray(form.numpy(points), dtype=float)
        actual = pytensor.function([u], form.tensor(u), mode="FAST_COMPILE")(points)
    except Exception as err:  # a user's function may fail in any way
        raise ValueError(f"link form {form.name!r} failed on test points: {err}") from err
    if expected.shape != points.shape or not np.allclose(expected, actual, rtol=1e-6, atol=1e-9):
        raise ValueError(
            f"link form {form.name!r}: the NumPy and PyTensor curves disagree on [-4, 4]; "
            "they must compute the same g(u)."
        )
