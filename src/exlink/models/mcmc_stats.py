"""Rank-normalised R-hat and bulk and tail effective sample sizes of many quantities at once.

The estimators are those of Vehtari, Gelman, Simpson, Carpenter and Bürkner
(2021), "Rank-normalization, folding, and localization: an improved R-hat for
assessing convergence of MCMC", *Bayesian Analysis* 16(2), computed element
for element as ArviZ computes them. ArviZ loops over elements in Python, and
a fitted chain holds thousands (every unit and period effect, every imputed
value), so here each step runs over all elements in one array operation: one
sort of each element's draws gives its ranks, median and quantiles, one FFT
gives every autocovariance, and Geyer's initial monotone sequence advances lag
pair by lag pair for every element together.

Every function takes draws shaped ``(chain, draw, element)`` and returns one
value per element; :func:`rank_rhat`, :func:`bulk_ess` and :func:`tail_ess`
are the columns of :func:`convergence_stats`, which computes all three. An
element with a missing draw, fewer than four draws or, for R-hat, fewer than
two chains gets NaN, as in ArviZ.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import fft, special

TAIL_PROB = 0.05
"""Tail ESS is the smaller ESS of the indicators of the 5% and the 95% quantile."""

_BLOM = 3 / 8
_MIN_DRAWS = 4


def convergence_stats(
    draws: np.ndarray, prob: float = TAIL_PROB, workers: int | None = None
) -> dict[str, np.ndarray]:
    """R-hat, bulk ESS and tail ESS of every element, sharing the sorts they have in common.

    Elements are judged in blocks of :data:`BLOCK` on a pool of threads (sorts
    and FFTs release the interpreter's lock); each element's numbers are the
    same whatever the block or the thread.

    Parameters
    ----------
    draws
        Array ``(chain, draw, element)``.
    prob
        The lower tail's probability for the tail ESS, in (0, 1).
    workers
        Threads; the machine's CPU count by default.

    Returns
    -------
    dict
        ``r_hat``, ``ess_bulk`` and ``ess_tail``: one value per element.
    """
    if not 0 < prob < 1:
        raise ValueError(f"prob must lie strictly between 0 and 1, got {prob!r}.")
    x = _element_major(draws)
    names = ("r_hat", "ess_bulk", "ess_tail")
    if x.shape[2] < _MIN_DRAWS:
        return {name: np.full(x.shape[0], np.nan) for name in names}
    blocks = [x[start : start + BLOCK] for start in range(0, x.shape[0], BLOCK)]
    threads = max(1, min(len(blocks), workers or os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        parts = list(pool.map(lambda block: _block_stats(block, prob), blocks))
    if not parts:
        return {name: np.empty(0) for name in names}
    return {name: np.concatenate([part[n] for part in parts]) for n, name in enumerate(names)}


BLOCK = 256
"""Elements judged together: small enough for the CPU's caches, large enough for NumPy."""


def _block_stats(x: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R-hat, bulk ESS and tail ESS of ``(element, chain, draw)`` draws."""
    split = _split_chains(x)
    ranked = _Ranked(split)
    z = ranked.normal_scores()
    rhat = np.maximum(_rhat(z), _folded_rhat(split, ranked.median()))
    full = ranked if split[0].size == x[0].size else _Ranked(x)  # odd draws: split drops some
    return (
        _with_nan(rhat, x, min_chains=2),
        _with_nan(_ess(z), x, min_chains=1),
        _with_nan(_tail_ess(x, full, prob), x, min_chains=1),
    )


def rank_rhat(draws: np.ndarray) -> np.ndarray:
    """Rank-normalised split R-hat: the larger of the bulk and the folded (tail) R-hat.

    Parameters
    ----------
    draws
        Array ``(chain, draw, element)``.

    Returns
    -------
    numpy.ndarray
        One R-hat per element.
    """
    return convergence_stats(draws)["r_hat"]


def bulk_ess(draws: np.ndarray) -> np.ndarray:
    """Bulk effective sample size: the ESS of the rank-normalised split chains.

    Parameters
    ----------
    draws
        Array ``(chain, draw, element)``.
    """
    return convergence_stats(draws)["ess_bulk"]


def tail_ess(draws: np.ndarray, prob: float = TAIL_PROB) -> np.ndarray:
    """Tail effective sample size: the smaller ESS of the ``prob`` and ``1 - prob`` quantiles.

    The ESS of a quantile is that of the indicator ``draw <= quantile`` over
    split chains; the quantile is NumPy's linear one over all draws.

    Parameters
    ----------
    draws
        Array ``(chain, draw, element)``.
    prob
        The lower tail's probability, in (0, 1).
    """
    return convergence_stats(draws, prob)["ess_tail"]


class _Ranked:
    """The draws of each element sorted once: average ranks, normal scores and quantiles."""

    def __init__(self, x: np.ndarray) -> None:
        self.shape = x.shape
        flat = x.reshape(x.shape[0], -1)
        self.order = np.argsort(flat, axis=1)
        self.sorted = np.take_along_axis(flat, self.order, axis=1)

    def ranks(self) -> np.ndarray:
        """Ranks from 1, ties given their average rank (SciPy's ``rankdata(method="average")``)."""
        k, n = self.sorted.shape
        position = np.arange(n)
        starts = np.ones((k, n), dtype=bool)
        starts[:, 1:] = self.sorted[:, 1:] != self.sorted[:, :-1]
        if starts.all():
            rank_of_sorted = np.broadcast_to(position + 1.0, (k, n))
        else:
            ends = np.ones((k, n), dtype=bool)
            ends[:, :-1] = starts[:, 1:]
            first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
            last = np.minimum.accumulate(np.where(ends, position, n - 1)[:, ::-1], axis=1)[:, ::-1]
            rank_of_sorted = (first + last) / 2.0 + 1.0
        ranks = np.empty((k, n))
        np.put_along_axis(ranks, self.order, rank_of_sorted, axis=1)
        return ranks

    def normal_scores(self) -> np.ndarray:
        """Normal quantiles of the ranks with Blom's offset, in the draws' own shape."""
        n = self.sorted.shape[1]
        scores = special.ndtri((self.ranks() - _BLOM) / (n - 2 * _BLOM + 1))
        return scores.reshape(self.shape)

    def median(self) -> np.ndarray:
        """Each element's median, the mean of the middle two for an even count, as NumPy's.

        The folded R-hat measures distances from it, and the two middle draws
        must come out exactly as far from it as NumPy puts them: their tie
        decides their ranks.
        """
        n = self.sorted.shape[1]
        if n % 2:
            return self.sorted[:, n // 2]
        return (self.sorted[:, n // 2 - 1] + self.sorted[:, n // 2]) / 2

    def quantile(self, prob: float) -> np.ndarray:
        """Each element's quantile, interpolated as NumPy's default (``"linear"``) method does."""
        n = self.sorted.shape[1]
        index = (n - 1) * prob
        below = int(np.floor(index))
        above = min(below + 1, n - 1)
        weight = index - below
        low, high = self.sorted[:, below], self.sorted[:, above]
        step = high - low
        if weight >= 0.5:
            return high - step * (1 - weight)
        return low + step * weight


def _element_major(draws: np.ndarray) -> np.ndarray:
    """``(chain, draw, element)`` as a contiguous ``(element, chain, draw)`` float array."""
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 3:
        raise ValueError(f"draws must be shaped (chain, draw, element), got shape {draws.shape}.")
    return np.ascontiguousarray(np.moveaxis(draws, -1, 0))


def _with_nan(values: np.ndarray, x: np.ndarray, min_chains: int) -> np.ndarray:
    """NaN where an element has a missing draw, or too few chains to judge."""
    short = x.shape[1] < min_chains
    return np.where(np.isnan(x).any(axis=(1, 2)) | short, np.nan, values)


def _tail_ess(x: np.ndarray, ranked: _Ranked, prob: float) -> np.ndarray:
    each = [
        _ess(_split_chains((x <= ranked.quantile(p)[:, None, None]).astype(float)))
        for p in sorted((prob, 1 - prob))
    ]
    return np.minimum(*each)


def _split_chains(x: np.ndarray) -> np.ndarray:
    """Each chain's first and last half as two chains (the middle draw of an odd count dropped)."""
    half = x.shape[2] // 2
    return np.concatenate([x[:, :, :half], x[:, :, x.shape[2] - half :]], axis=1)


def _folded_rhat(split: np.ndarray, median: np.ndarray) -> np.ndarray:
    """R-hat of the rank-normalised distances from the median: the tails' R-hat."""
    return _rhat(_Ranked(np.abs(split - median[:, None, None])).normal_scores())


def _rhat(x: np.ndarray) -> np.ndarray:
    """Classic R-hat of ``(element, chain, draw)`` draws."""
    n = x.shape[2]
    chain_mean = x.mean(axis=2)
    within = x.var(axis=2, ddof=1).mean(axis=1)
    between = n * chain_mean.var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def _autocov(x: np.ndarray) -> np.ndarray:
    """Autocovariance of each element and chain at every lag, along the draws."""
    n = x.shape[2]
    size = fft.next_fast_len(2 * n, real=True)
    spectrum = fft.rfft(x - x.mean(axis=2, keepdims=True), n=size, axis=2)
    return fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=2)[:, :, :n] / n


def _ess(x: np.ndarray) -> np.ndarray:
    """ESS of ``(element, chain, draw)`` draws by Geyer's initial monotone sequence."""
    k, chains, n = x.shape
    total = chains * n
    constant = (x.max(axis=(1, 2)) - x.min(axis=(1, 2))) < np.finfo(float).resolution
    acov = _autocov(x)
    mean_var = acov[:, :, 0].mean(axis=1) * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if chains > 1:
        var_plus = var_plus + x.mean(axis=2).var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (1.0 - (mean_var[:, None] - acov.mean(axis=1)) / var_plus[:, None]).T  # (lag, k)
    kept = np.zeros((n, k))
    kept[0] = 1.0
    kept[1] = rho[1]
    even, odd = np.ones(k), rho[1].copy()
    t = np.ones(k, dtype=int)
    active = np.ones(k, dtype=bool)
    # Geyer's initial positive sequence: extend while the pair sums stay positive.
    for lag in range(1, n - 3, 2):
        active &= (even + odd) > 0.0
        if not active.any():
            break
        even = np.where(active, rho[lag + 1], even)
        odd = np.where(active, rho[lag + 2], odd)
        store = active & ((even + odd) >= 0)
        kept[lag + 1] = np.where(store, even, kept[lag + 1])
        kept[lag + 2] = np.where(store, odd, kept[lag + 2])
        t = np.where(active, lag + 2, t)
    max_t = t - 2
    improve = even > 0
    kept[max_t[improve] + 1, np.flatnonzero(improve)] = even[improve]
    # Geyer's initial monotone sequence: pair sums may not rise.
    for lag in range(1, max(int(max_t.max()) - 1, 1), 2):
        rises = (lag <= max_t - 2) & (kept[lag + 1] + kept[lag + 2] > kept[lag - 1] + kept[lag])
        mean_pair = (kept[lag - 1] + kept[lag]) / 2.0
        kept[lag + 1] = np.where(rises, mean_pair, kept[lag + 1])
        kept[lag + 2] = np.where(rises, mean_pair, kept[lag + 2])
    lags = np.arange(n)[:, None]
    tau = (
        -1.0
        + 2.0 * np.where(lags <= max_t, kept, 0.0).sum(axis=0)
        + np.where(lags == max_t + 1, kept, 0.0).sum(axis=0)
    )
    tau = np.maximum(tau, 1 / np.log10(total))
    with np.errstate(divide="ignore", invalid="ignore"):
        ess = total / tau
    ess = np.where(np.isnan(kept).any(axis=0), np.nan, ess)
    return np.where(constant, float(total), ess)
