"""Growing a k-component mixture into a (k+1)-component start by splitting one component.

Model selection fits ``k = 1, 2, ...`` in turn. Refitting each ``k`` from k-means lands EM in poor
local optima on interventional mixtures, whose components often share their centre and differ in
one variable's spread or conditional law (hard interventions), or differ by a spike (do
interventions). Instead the best ``k`` fit is grown: for every component ``c`` and a handful of
directions ``u`` the responsibility-weighted projections ``uᵀx`` get a one-dimensional
two-Gaussian fit; the directions whose split raises the one-dimensional likelihood most are turned
into (k+1)-component starts (component ``c``'s responsibilities divided by the 1-D posterior), run
briefly with EM, and the best one is kept.

Directions per component: every coordinate axis ``e_j`` (an intervention on ``j`` changes the
marginal of ``x_j``), every conditional-residual direction ``Θ_c[j] / Θ_c[j, j]`` (the residual of
``x_j`` regressed on the other variables, whose law a hard or do intervention on ``j`` changes),
and the principal axis of ``Σ_c`` (the classical split of [1]).

References
----------
.. [1] N. Ueda, R. Nakano, Z. Ghahramani and G. E. Hinton. SMEM algorithm for mixture models.
   Neural Computation 12(9), 2000.
.. [2] J. J. Verbeek, N. Vlassis and B. Kröse. Efficient greedy learning of Gaussian mixture
   models. Neural Computation 15(2), 2003.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from causalmix.mixture._em_loop import run_em
from causalmix.mixture._gaussian import (
    LOG_2PI,
    Data,
    EMResult,
    as_data,
    e_step_t,
    params_from_resp_t,
)

__all__ = ["grow", "split_many"]

_RANK_FLOATS = 2**21  # floats (16 MB) per temporary of the batched 1-D fits that rank splits
# the 1-D fits that rank the splits of a component use at least this many rows (see _ranked_splits)
MIN_PROPOSAL_ROWS = 64


def _directions(covariance: np.ndarray) -> np.ndarray:
    """Candidate split directions of one component, shape (2p + 1, p), unit rows."""
    p = covariance.shape[0]
    precision = np.linalg.inv(covariance)
    residual = precision / np.sqrt(np.sum(precision**2, axis=1, keepdims=True))
    _, vectors = np.linalg.eigh(covariance)
    return np.vstack([np.eye(p), residual, vectors[:, -1][None, :]])


class _Split1D(NamedTuple):
    """Two 1-D Gaussians per column: second component's proportion, both means and variances."""

    prop1: np.ndarray
    m0: np.ndarray
    v0: np.ndarray
    m1: np.ndarray
    v1: np.ndarray


def _fit_two_gaussians_1d(
    z: np.ndarray, w: np.ndarray, reg: float, n_iter: int = 15
) -> tuple[np.ndarray, _Split1D]:
    """Weighted two-Gaussian EM on each column of ``z``, vectorised over columns.

    Parameters
    ----------
    z : ndarray of shape (N, D)
        Projections.
    w : ndarray of shape (N,)
        Non-negative row weights (a component's responsibilities).
    reg : float
        Variance floor (the mixture's ``reg_covar``).
    n_iter : int
        EM iterations; three starts per column (a quantile split, a scale split, and a narrow
        part at the histogram mode -- the spike of a do-intervention), the best one is kept. The
        three starts run as one EM over ``3 D`` stacked columns (one Python loop, not three).

    Returns
    -------
    gain : ndarray of shape (D,)
        Weighted log-likelihood gain of two Gaussians over one, summed over rows.
    split : _Split1D
        The best start's parameters per column (:func:`_posterior_1d` turns them into the
        posterior of the second component for any rows).
    """
    d = z.shape[1]
    zt = np.ascontiguousarray(z.T)  # (D, N): reductions along the last, contiguous axis
    total = w.sum()
    sum_z, sum_z2 = zt @ w, (zt * zt) @ w
    mean = sum_z / total
    var = np.maximum(sum_z2 / total - mean**2, 0.0) + reg
    one = -0.5 * total * (LOG_2PI + np.log(var) + (var - reg) / var)
    # equal weights (the ranking's and the large data's rows drawn by responsibility): the same
    # order statistics without the weighted path's sort (twice as slow)
    weights = None if np.all(w == w[0]) else w
    q1, q3 = np.quantile(z, (0.25, 0.75), axis=0, weights=weights, method="inverted_cdf")
    mode, mode_var = _histogram_modes(z, w)
    # starts: location split; scale split (a narrow part inside a broad one); a spike at the
    # mode of a broad part
    m0 = np.concatenate([q1, mean, mean])
    m1 = np.concatenate([q3, mean, mode])
    v0 = np.concatenate([var / 2.0, var * 1.5, var])
    v1 = np.concatenate([var / 2.0, var / 10.0, np.maximum(mode_var, reg)])
    zs = np.tile(zt, (3, 1))
    zs2 = zs * zs
    wz, wz2 = zs * w, zs2 * w
    sum_z, sum_z2 = np.tile(sum_z, 3), np.tile(sum_z2, 3)
    prop1 = np.full(3 * d, 0.5)
    post = np.empty_like(zs)
    for it in range(n_iter + 1):
        # log-odds of the second component, a quadratic in z (one pass per coefficient); the
        # posterior is its logistic function
        a = (
            np.log(prop1 / (1.0 - prop1))
            - 0.5 * np.log(v1 / v0)
            - 0.5 * (m1 * m1 / v1 - m0 * m0 / v0)
        )
        log_odds = (-0.5 * (1.0 / v1 - 1.0 / v0))[:, None] * zs2
        log_odds += (m1 / v1 - m0 / v0)[:, None] * zs
        log_odds += a[:, None]
        if it == n_iter:
            break
        np.negative(log_odds, out=post)
        with np.errstate(over="ignore"):
            np.exp(post, out=post)
        post += 1.0
        np.reciprocal(post, out=post)
        n1 = np.clip(post @ w, 1e-12, total - 1e-12)
        n0 = total - n1
        s1, sq1 = np.vecdot(post, wz), np.vecdot(post, wz2)
        m1, m0 = s1 / n1, (sum_z - s1) / n0
        v1 = np.maximum(sq1 / n1 - m1**2, 0.0) + reg
        v0 = np.maximum((sum_z2 - sq1) / n0 - m0**2, 0.0) + reg
        prop1 = n1 / total
    log_p0 = (np.log1p(-prop1) - 0.5 * (LOG_2PI + np.log(v0)))[:, None] - 0.5 * (
        zs - m0[:, None]
    ) ** 2 / v0[:, None]
    ll = ((log_p0 + np.logaddexp(0.0, log_odds)) @ w).reshape(3, d)
    best = np.argmax(ll, axis=0) * d + np.arange(d)  # the first start wins ties
    split = _Split1D(prop1[best], m0[best], v0[best], m1[best], v1[best])
    return ll.max(axis=0) - one, split


def _posterior_1d(z: np.ndarray, split: _Split1D) -> np.ndarray:
    """Posterior of the second 1-D component for every row and column of ``z`` (N, D)."""
    log_odds = (
        np.log(split.prop1 / (1.0 - split.prop1)) - 0.5 * np.log(split.v1 / split.v0)
    ) - 0.5 * ((z - split.m1) ** 2 / split.v1 - (z - split.m0) ** 2 / split.v0)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-log_odds))


def _histogram_modes(z: np.ndarray, w: np.ndarray, bins: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Centre and squared half-width of the heaviest histogram bin of every column.

    ``bins`` equal bins between each column's minimum and maximum (as ``numpy.histogram``), all
    columns counted in one ``bincount``.
    """
    lo, hi = z.min(axis=0), z.max(axis=0)
    width = np.where(hi > lo, (hi - lo) / bins, 1.0)
    lo = np.where(hi > lo, lo, lo - 0.5 * bins * width)  # constant column: bins around it
    idx = np.clip(((z - lo) / width).astype(np.intp), 0, bins - 1)
    idx += np.arange(z.shape[1]) * bins
    counts = np.bincount(
        idx.ravel(),
        weights=np.broadcast_to(w[:, None], z.shape).ravel(),
        minlength=z.shape[1] * bins,
    ).reshape(z.shape[1], bins)
    top = np.argmax(counts, axis=1)
    return lo + (top + 0.5) * width, (0.5 * width) ** 2


def _ranked_splits(data: Data, params, resp_t, rng, reg_covar, n_proposal_rows, rank_iter):
    """1-D split gains of every (component, direction) pair, scaled to the component's weight.

    Returns ``(gain, owners)`` (empty when every component is too small to split).
    """
    X, n = data.X, data.n
    columns, owners, scale = [], [], []
    sizes = resp_t.sum(axis=1)
    # draws (with replacement) beyond the largest component's own rows repeat rows: they add
    # cost, not information (p = 8, K = 9 on 2^10 rows: ~114 rows per component, not 512)
    n_proposal_rows = int(min(n_proposal_rows, max(MIN_PROPOSAL_ROWS, np.ceil(sizes.max()))))
    for c in range(params.weights.shape[0]):
        w = resp_t[c]
        if sizes[c] < 2.0:
            continue
        dirs = _directions(params.covariances[c])
        rows = rng.choice(n, size=n_proposal_rows, p=w / sizes[c])
        columns.append((X[rows] - params.means[c]) @ dirs.T)
        owners += [(c, direction) for direction in dirs]
        scale += [sizes[c] / rows.size] * len(dirs)
    if not columns:
        return np.empty(0), owners
    z, ones = np.hstack(columns), np.ones(n_proposal_rows)
    # the columns' fits are independent: blocks of columns bound the (3 D, rows) temporaries
    # (3 GB at p = 100, K = 51 in one piece) and keep them in cache
    step = max(1, _RANK_FLOATS // (3 * n_proposal_rows))
    gains = [
        _fit_two_gaussians_1d(z[:, j : j + step], ones, reg_covar, n_iter=rank_iter)[0]
        for j in range(0, z.shape[1], step)
    ]
    return np.concatenate(gains) * np.asarray(scale), owners


def _split_posteriors(data: Data, resp_t, means, chosen, rng, reg_covar, n_split_rows):
    """Posterior of the new part of each chosen (component, direction) split, shape (N, m)."""
    X, n = data.X, data.n
    z_all = np.column_stack([(X - means[c]) @ u for c, u in chosen])
    if n > n_split_rows:  # one batched fit on rows drawn by responsibility
        z_fit = np.empty((n_split_rows, len(chosen)))
        for j, (c, _) in enumerate(chosen):
            rows = rng.choice(n, size=n_split_rows, p=resp_t[c] / resp_t[c].sum())
            z_fit[:, j] = z_all[rows, j]
        _, split = _fit_two_gaussians_1d(z_fit, np.ones(n_split_rows), reg_covar)
    else:  # few rows: weighted fits on all of them
        fits = [
            _fit_two_gaussians_1d(z_all[:, j : j + 1], resp_t[c], reg_covar)[1]
            for j, (c, _) in enumerate(chosen)
        ]
        split = _Split1D(*(np.concatenate(field) for field in zip(*fits, strict=True)))
    return _posterior_1d(z_all, split)


def grow(
    X: np.ndarray | Data,
    current: EMResult,
    *,
    tol: float,
    reg_covar: float,
    max_iter: int,
    rng: np.random.Generator,
    n_candidates: int = 3,
    short_iter: int = 10,
    n_proposal_rows: int = 512,
    n_split_rows: int = 4096,
    rank_iter: int = 8,
) -> EMResult:
    """Best (k+1)-component EM result reachable by splitting one component of ``current``.

    Parameters
    ----------
    X : ndarray of shape (N, p) or Data
        Centred data (the frame of ``current``).
    current : EMResult
        A converged k-component fit on ``X``.
    tol, reg_covar, max_iter
        EM settings for the final run.
    rng : numpy.random.Generator
        Draws the rows used for the 1-D fits.
    n_candidates : int
        Number of best 1-D splits that get ``short_iter`` EM iterations.
    n_proposal_rows : int
        The 1-D fits that rank the directions of a component use at most this many rows, drawn
        with probability proportional to the component's responsibilities (so they are
        unweighted).
    n_split_rows : int
        The 1-D fit of a chosen direction uses this many rows, drawn the same way (with
        replacement), when there are more rows (otherwise all rows, weighted); its posterior is
        then evaluated on all rows to split the component's responsibilities.
    rank_iter : int
        EM iterations of the 1-D fits that rank the directions (the chosen ones get 15).

    Returns
    -------
    EMResult
        The converged (k+1)-component fit from the most promising split.
    """
    data = as_data(X)
    params = current.params
    _, _, resp_t = e_step_t(data, params)
    # rank (component, direction) pairs: one batched 1-D fit over every pair's projections
    gain, owners = _ranked_splits(data, params, resp_t, rng, reg_covar, n_proposal_rows, rank_iter)
    best: EMResult | None = None
    if owners:
        chosen = [owners[i] for i in np.argsort(gain)[::-1][:n_candidates]]
        # the chosen splits: a 1-D fit each, then their posteriors on all rows
        posts = _split_posteriors(data, resp_t, params.means, chosen, rng, reg_covar, n_split_rows)
        for j, (c, _) in enumerate(chosen):
            post = posts[:, j]
            new_resp = np.concatenate([resp_t, (resp_t[c] * post)[None, :]], axis=0)
            new_resp[c] *= 1.0 - post
            start = params_from_resp_t(data, new_resp, reg_covar)
            trial = run_em(data, start, tol=tol, reg_covar=reg_covar, max_iter=short_iter)
            if best is None or trial.log_likelihood > best.log_likelihood:
                best = trial
    if best is None:  # every component too small to split: fall back to a duplicate
        new_resp = np.concatenate([resp_t, resp_t[-1:] / 2.0], axis=0)
        new_resp[-2] /= 2.0
        best = run_em(
            data,
            params_from_resp_t(data, new_resp, reg_covar),
            tol=tol,
            reg_covar=reg_covar,
            max_iter=short_iter,
        )
    if best.converged:
        return best
    return run_em(data, best.params, tol=tol, reg_covar=reg_covar, max_iter=max_iter)


def split_many(
    X: np.ndarray | Data,
    current: EMResult,
    *,
    threshold: float,
    tol: float,
    reg_covar: float,
    max_iter: int,
    rng: np.random.Generator,
    n_proposal_rows: int = 512,
    n_split_rows: int = 4096,
    rank_iter: int = 8,
) -> EMResult | None:
    """Make every split whose 1-D gain exceeds ``threshold`` nats, at once.

    For wide data with many components (p = 50, K = 26) growing one component at a time costs
    ``K`` full EM runs; when there are several clear splits (a 1-D gain, a lower bound of the
    full-dimensional one, above the criterion's price of a component) they are made together and
    EM is run once. At most one split per component and node (the axis ``e_j`` and the residual
    direction of ``x_j`` describe the same change); a component split along several nodes gives
    its rows to the strongest split first. Returns None when fewer than two splits qualify (the
    caller then grows by one); the caller decides whether the result is better.

    Parameters
    ----------
    threshold : float
        Minimum 1-D log-likelihood gain (nats, over all rows) of a split, e.g. BIC's
        ``d log(N) / 2`` for ``d`` parameters per component.

    Other parameters are those of :func:`grow`.
    """
    data = as_data(X)
    params = current.params
    _, _, resp_t = e_step_t(data, params)
    gain, owners = _ranked_splits(data, params, resp_t, rng, reg_covar, n_proposal_rows, rank_iter)
    p = data.p
    best: dict[tuple[int, int], tuple[float, np.ndarray]] = {}
    for position, (g, (c, u)) in enumerate(zip(gain, owners, strict=True)):
        # one split per (component, node): the axis e_j and the residual direction of x_j
        # describe the same change; the principal axis is a node of its own
        node = position % (2 * p + 1)
        key = (c, node if node == 2 * p else node % p)
        if g > threshold and (key not in best or g > best[key][0]):
            best[key] = (g, u)
    if len(best) < 2:
        return None
    chosen = [(c, u) for (c, _), (_, u) in sorted(best.items(), key=lambda kv: -kv[1][0])]
    posts = _split_posteriors(data, resp_t, params.means, chosen, rng, reg_covar, n_split_rows)
    remaining = resp_t.copy()
    new_parts = []
    for j, (c, _) in enumerate(chosen):  # the strongest split of a component takes its rows first
        new_parts.append(remaining[c] * posts[:, j])
        remaining[c] *= 1.0 - posts[:, j]
    new_resp = np.concatenate([remaining, np.array(new_parts)], axis=0)
    start = params_from_resp_t(data, new_resp, reg_covar)
    return run_em(data, start, tol=tol, reg_covar=reg_covar, max_iter=max_iter)
