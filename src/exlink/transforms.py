"""Link forms and intervention exposure: pure functions, NumPy and PyTensor twins.

Link forms; linear and saturating have slope 1 at ``reference``, so a link's
coefficient is its effect per unit of the source near that level, and threshold
has slope 1/2 there, rising to 1 well above it::

    linear      f(x) = x - reference
    saturating  f(x) = scale * tanh((x - reference) / scale)
    threshold   f(x) = scale * log(1 + exp((x - reference) / scale))

A saturating link gives less at a high (and a low) source level; a threshold
link moves its target only once the source passes ``reference``, ``scale``
setting how sharp the turn is.

Exposure follows the rollout ``r`` (a share in [0, 1] or an intensity) by
partial adjustment from 0, at the adoption rate while it rises and at the fade
rate while it falls::

    e[t] = e[t-1] + rate * (r[t] - e[t-1]),  rate = ramp if r[t] >= e[t-1] else fade

The NumPy functions take any array shapes that broadcast; the PyTensor ones
build graph nodes for a model.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

FORMS = ("linear", "saturating", "threshold")


def link_form(form: str, x: np.ndarray, reference: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """Apply a link form to source values (NumPy).

    Parameters
    ----------
    form
        ``"linear"``, ``"saturating"`` or ``"threshold"``.
    x
        Source values.
    reference
        Level at which the slope is 1 (the threshold for ``"threshold"``).
    scale
        Saturation half-range or threshold sharpness, > 0; unused for linear.
    """
    shifted = np.asarray(x) - reference
    if form == "linear":
        return shifted
    if form == "saturating":
        return scale * np.tanh(shifted / scale)
    if form == "threshold":
        return scale * np.logaddexp(0.0, shifted / scale)
    raise ValueError(f"unknown link form {form!r}; choose from {', '.join(FORMS)}.")


def link_form_tensor(form: str, x, reference=0.0, scale=1.0):
    """Apply a link form to source values (PyTensor); see :func:`link_form`."""
    shifted = x - reference
    if form == "linear":
        return shifted
    if form == "saturating":
        return scale * pt.tanh(shifted / scale)
    if form == "threshold":
        return scale * pt.softplus(shifted / scale)
    raise ValueError(f"unknown link form {form!r}; choose from {', '.join(FORMS)}.")


def exposure(rollout: np.ndarray, ramp: np.ndarray | float, fade: np.ndarray | float) -> np.ndarray:
    """Effective exposure from a rollout, periods on the last axis (NumPy).

    Parameters
    ----------
    rollout
        Rollout levels, shape ``(..., periods)``.
    ramp, fade
        Adoption and fade rates in (0, 1], broadcasting against
        ``rollout[..., 0]`` (for example one rate per posterior draw).
    """
    rollout = np.asarray(rollout, dtype=float)
    ramp, fade = np.asarray(ramp, dtype=float), np.asarray(fade, dtype=float)
    previous = np.zeros(np.broadcast_shapes(rollout.shape[:-1], ramp.shape, fade.shape))
    out = np.empty((*previous.shape, rollout.shape[-1]))
    for t in range(rollout.shape[-1]):
        target = rollout[..., t]
        previous = previous + np.where(target >= previous, ramp, fade) * (target - previous)
        out[..., t] = previous
    return out


def exposure_tensor(rollout, ramp, fade, n_periods: int):
    """Effective exposure from a rollout of shape ``(units, periods)`` (PyTensor).

    ``ramp`` and ``fade`` are scalar tensors. When they are the same tensor (no
    separate fade) the recursion is the geometric convolution
    ``e[t] = sum over s <= t of ramp * (1 - ramp) ** (t - s) * r[s]``, one matrix
    product; otherwise it is unrolled over the ``n_periods`` periods.
    """
    if fade is ramp:
        steps = np.subtract.outer(np.arange(n_periods), np.arange(n_periods))
        lower = steps >= 0
        weights = pt.switch(lower, ramp * (1.0 - ramp) ** np.where(lower, steps, 0), 0.0)
        return pt.dot(rollout, weights.T)
    previous = pt.zeros_like(rollout[:, 0])
    columns = []
    for t in range(n_periods):
        target = rollout[:, t]
        rate = pt.switch(pt.ge(target, previous), ramp, fade)
        previous = previous + rate * (target - previous)
        columns.append(previous)
    return pt.stack(columns, axis=1)
