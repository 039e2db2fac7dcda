"""Link forms and intervention exposure: pure functions, NumPy and PyTensor twins.

Link forms; linear and saturating have slope 1 at ``reference``, threshold has
slope 1/2 there, rising to 1 well above it::

    linear      f(x) = x - reference
    saturating  f(x) = scale * tanh((x - reference) / scale)
    threshold   f(x) = scale * log(1 + exp((x - reference) / scale))

A saturating link gives less at a high (and a low) source level; a threshold
link moves its target only once the source passes ``reference``, ``scale``
setting how sharp the turn is.

A model does not use ``f`` as it stands: a link's coefficient would then be
its slope at ``reference``, a point the data may barely reach, and the
coefficient, the reference and the scale would trade off along a ridge that
samplers cross slowly. The model's curve (:func:`link_curve`) is ``f``
anchored at the source's mean and rescaled to an average slope of 1 across the
central range of the source's observed values, between its 10% and 90%
quantiles ``low`` and ``high``::

    curve(x) = (f(x) - f(0)) * (high - low) / (f(high) - f(low))

so a link's coefficient is its average effect per unit of the source where the
data are, as for a linear link, and the reference and scale only bend the
curve around it.

Exposure follows the rollout ``r`` (a share in [0, 1] or an intensity) by
partial adjustment from 0, at the adoption rate after the rollout rises and at
the fade rate after it falls::

    e[t] = e[t-1] + rate[t] * (r[t] - e[t-1])
    rate[t] = fade if the latest change of r up to t was a fall, else ramp

The phase depends on the rollout alone, so the recursion has a closed form
(``ramped_exposure_tensor``). For an on/off rollout it is the same as adjusting at
``ramp`` while ``r`` is above the exposure and at ``fade`` while it is below.

The NumPy functions take any array shapes that broadcast; the PyTensor ones
build graph nodes for a model.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from exlink._moved import renamed_attributes
from exlink.link_forms import LINEAR, get_link_form


def link_form(form: str, x: np.ndarray, reference: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """Apply a link form to source values (NumPy).

    Parameters
    ----------
    form
        ``"linear"``, ``"saturating"``, ``"threshold"`` or a form added with
        :func:`~exlink.link_forms.register_link_form`.
    x
        Source values.
    reference
        Level at which the slope is 1 (the threshold for ``"threshold"``).
    scale
        Saturation half-range or threshold sharpness, > 0; unused for linear.
    """
    shifted = np.asarray(x) - reference
    if form == LINEAR:
        return shifted
    return scale * get_link_form(form).numpy(shifted / scale)


def link_form_tensor(form: str, x, reference=0.0, scale=1.0):
    """Apply a link form to source values (PyTensor); see :func:`link_form`."""
    shifted = x - reference
    if form == LINEAR:
        return shifted
    return scale * get_link_form(form).tensor(shifted / scale)


CENTRAL_RANGE = (0.1, 0.9)
"""Quantiles of a source's observed values across which a curved link's coefficient
is its average slope."""

_FLAT = 1e-9
"""Added to a curve's rise across the central range, so that a curve flat there
(its bend far outside the data) stays finite instead of dividing by zero."""


def link_curve(form: str, x: np.ndarray, reference, scale, low: float, high: float) -> np.ndarray:
    """A link's curve as the model uses it (NumPy).

    It is 0 at ``x = 0`` (the source's mean) and rises with an average slope
    of 1 between ``low`` and ``high``.

    Parameters
    ----------
    form, x, reference, scale
        As for :func:`link_form`, on the standardised scale of the source.
    low, high
        The source's central range (standardised), ``low < high``.
    """
    if form == LINEAR:
        return np.asarray(x, dtype=float)

    def f(v):
        return link_form(form, v, reference, scale)

    rise = f(high) - f(low) + _FLAT * (high - low)
    return (f(x) - f(0.0)) * (high - low) / rise


def link_curve_change(
    form: str, x0: np.ndarray, change: np.ndarray, reference, scale, low: float, high: float
) -> np.ndarray:
    """``link_curve(x0 + change) - link_curve(x0)``, with few passes over ``change`` (NumPy).

    The arguments are those of :func:`link_curve`; ``x0`` and the curve's
    parameters broadcast against ``change``, which may be large (a change per
    sample, unit and period): the curve's constants are worked out on the
    small arrays first.
    """
    if form == LINEAR:
        return np.asarray(change, dtype=float)
    g = get_link_form(form).numpy
    reference, scale = np.asarray(reference, dtype=float), np.asarray(scale, dtype=float)

    def f(v):
        return link_form(form, v, reference, scale)

    rise = f(high) - f(low) + _FLAT * (high - low)
    gain = scale * (high - low) / rise
    start = (np.asarray(x0, dtype=float) - reference) / scale
    moved = g(change * (1.0 / scale) + start)
    moved -= g(start)
    moved *= gain
    return moved


def link_curve_tensor(form: str, x, reference, scale, low: float, high: float):
    """A link's curve as the model uses it (PyTensor); see :func:`link_curve`."""
    if form == LINEAR:
        return x

    def f(v):
        return link_form_tensor(form, v, reference, scale)

    rise = f(pt.as_tensor(high)) - f(pt.as_tensor(low)) + _FLAT * (high - low)
    return (f(x) - f(pt.zeros(()))) * (high - low) / rise


def ramped_exposure(
    rollout: np.ndarray, ramp: np.ndarray | float, fade: np.ndarray | float
) -> np.ndarray:
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
    up = rising(rollout)
    previous = np.zeros(np.broadcast_shapes(rollout.shape[:-1], ramp.shape, fade.shape))
    out = np.empty((*previous.shape, rollout.shape[-1]))
    for t in range(rollout.shape[-1]):
        rate = np.where(up[..., t], ramp, fade)
        previous = previous + rate * (rollout[..., t] - previous)
        out[..., t] = previous
    return out


def ramped_exposure_after(
    history: np.ndarray,
    future: np.ndarray,
    ramp: np.ndarray | float,
    fade: np.ndarray | float,
    *,
    future_fade: np.ndarray | float | None = None,
    from_period: int = 0,
) -> np.ndarray:
    """Exposure over ``future``'s periods, continuing from a rollout's ``history`` (NumPy).

    The exposure follows :func:`ramped_exposure` along the history and then the
    future, so a unit mid-ramp at the end of its history goes on ramping and
    one whose rollout has ended goes on fading.

    Parameters
    ----------
    history, future
        Rollout levels before and over the horizon, shapes ``(..., T)`` and
        ``(..., H)``.
    ramp, fade
        Adoption and fade rates, broadcasting against ``future[..., 0]``.
    future_fade
        A fade rate that replaces ``fade`` from future period ``from_period``
        on (0 for an effect that does not fade).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., H)``.
    """
    history, future = np.asarray(history, float), np.asarray(future, float)
    path = np.concatenate([history, future], axis=-1)
    up = rising(path)
    ramp, fade = np.asarray(ramp, dtype=float), np.asarray(fade, dtype=float)
    later = fade if future_fade is None else np.asarray(future_fade, dtype=float)
    previous = np.zeros(np.broadcast_shapes(path.shape[:-1], ramp.shape, fade.shape, later.shape))
    past = history.shape[-1]
    out = np.empty((*previous.shape, future.shape[-1]))
    for t in range(path.shape[-1]):
        rate = np.where(up[..., t], ramp, later if t >= past + from_period else fade)
        previous = previous + rate * (path[..., t] - previous)
        if t >= past:
            out[..., t - past] = previous
    return out


def rising(rollout: np.ndarray) -> np.ndarray:
    """Where the rollout's latest change up to each period was not a fall (NumPy).

    The rollout starts from 0; periods before its first change count as rising.

    Examples
    --------
    >>> rising([0, 1, 1, 0, 0, 0.5]).tolist()
    [True, True, True, False, False, True]
    """
    rollout = np.asarray(rollout, dtype=float)
    sign = np.sign(np.diff(rollout, axis=-1, prepend=0.0))
    steps = np.arange(rollout.shape[-1])
    latest = np.maximum.accumulate(np.where(sign != 0, steps, 0), axis=-1)
    return np.take_along_axis(sign, latest, axis=-1) >= 0


def ramped_exposure_tensor(rollout, ramp, fade, n_periods: int, pattern: np.ndarray | None = None):
    """Effective exposure from a rollout of shape ``(units, periods)`` (PyTensor).

    Parameters
    ----------
    rollout
        Rollout levels, a ``(units, periods)`` tensor.
    ramp, fade
        Scalar tensors, rates in (0, 1). Pass ``fade=ramp`` (the same tensor)
        for no separate fade.
    n_periods
        The number of periods.
    pattern
        :func:`rising` of the rollout's values, needed when ``fade`` is not
        ``ramp``; the rollout tensor may take other values later only if
        they rise and fall in the same periods.

    Notes
    -----
    The recursion is a weighted sum over earlier periods: with ``k[t]`` the
    rate of period ``t``,
    ``e[t] = sum over s <= t of k[s] * r[s] * prod over s < q <= t of (1 - k[q])``.
    The weights depend only on the periods in which the rollout rises, so
    units that share that pattern share one ``(periods, periods)`` matrix and
    the exposure is one matrix product per pattern (one in all without a
    separate fade).
    """
    if fade is ramp:
        return pt.dot(rollout, _exposure_weights(ramp, ramp, np.ones(n_periods, bool)).T)
    if pattern is None:
        raise ValueError(
            "ramped_exposure_tensor needs the rollout's rising pattern when fade is separate."
        )
    patterns, which = np.unique(np.asarray(pattern, dtype=bool), axis=0, return_inverse=True)
    which = which.ravel()
    parts, order = [], []
    for p, up in enumerate(patterns):
        members = np.flatnonzero(which == p)
        weights = _exposure_weights(ramp, fade, up)
        parts.append(pt.dot(rollout[members], weights.T))
        order.append(members)
    if len(parts) == 1:
        return parts[0]
    position = np.argsort(np.concatenate(order))
    return pt.concatenate(parts, axis=0)[position]


def _exposure_weights(ramp, fade, rising: np.ndarray):
    """``W[t, s] = k[s] * prod over s < q <= t of (1 - k[q])`` for ``s <= t``, else 0."""
    n_periods = len(rising)
    steps = np.subtract.outer(np.arange(n_periods), np.arange(n_periods))
    lower = steps >= 0
    if rising.all() or fade is ramp:
        return pt.switch(lower, ramp * (1.0 - ramp) ** np.where(lower, steps, 0), 0.0)
    ups = np.cumsum(rising)
    downs = np.cumsum(~rising)
    # periods after s up to t at each rate
    n_up = np.where(lower, np.subtract.outer(ups, ups), 0)
    n_down = np.where(lower, np.subtract.outer(downs, downs), 0)
    rate = pt.switch(rising, ramp, fade)
    kept = (1.0 - ramp) ** n_up * (1.0 - fade) ** n_down
    return pt.switch(lower, kept * rate[None, :], 0.0)


__getattr__ = renamed_attributes(
    __name__,
    {
        "exposure": "ramped_exposure",
        "exposure_after": "ramped_exposure_after",
        "exposure_tensor": "ramped_exposure_tensor",
    },
)
