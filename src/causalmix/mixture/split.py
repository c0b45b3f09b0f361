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

import numpy as np

from causalmix.mixture._gaussian import _e_step, _EMResult, _Moments, _params_from_resp, _run_em

__all__: list[str] = []

_LOG_2PI = float(np.log(2.0 * np.pi))


def _directions(covariance: np.ndarray) -> np.ndarray:
    """Candidate split directions of one component, shape (2p + 1, p), unit rows."""
    p = covariance.shape[0]
    precision = np.linalg.inv(covariance)
    residual = precision / np.sqrt(np.sum(precision**2, axis=1, keepdims=True))
    _, vectors = np.linalg.eigh(covariance)
    return np.vstack([np.eye(p), residual, vectors[:, -1][None, :]])


def _two_gaussians_1d(
    z: np.ndarray, w: np.ndarray, reg: float, n_iter: int = 15
) -> tuple[np.ndarray, np.ndarray]:
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
        part at the histogram mode -- the spike of a do-intervention), the best one is kept.

    Returns
    -------
    gain : ndarray of shape (D,)
        Weighted log-likelihood gain of two Gaussians over one, summed over rows.
    posterior : ndarray of shape (N, D)
        Posterior probability of the second 1-D component.
    """
    zt = np.ascontiguousarray(z.T)  # (D, N): reductions along the last, contiguous axis
    total = w.sum()
    sum_z, sum_z2 = zt @ w, (zt * zt) @ w
    mean = sum_z / total
    var = np.maximum(sum_z2 / total - mean**2, 0.0) + reg
    one = -0.5 * total * (_LOG_2PI + np.log(var) + (var - reg) / var)
    q1, q3 = _weighted_quantiles(z, w, (0.25, 0.75))
    mode, mode_var = _histogram_modes(z, w)
    starts = [
        (q1, q3, var / 2.0, var / 2.0),  # location split
        (mean, mean, var * 1.5, var / 10.0),  # scale split: a narrow part inside a broad one
        (mean, mode, var, np.maximum(mode_var, reg)),  # a spike at the mode of a broad part
    ]
    best_ll = np.full(zt.shape[0], -np.inf)
    best_post = np.zeros_like(zt)
    for m0, m1, v0, v1 in starts:
        prop1 = np.full(zt.shape[0], 0.5)
        for it in range(n_iter + 1):
            # log-odds of the second component; the posterior is its logistic function
            log_odds = (np.log(prop1 / (1.0 - prop1)) - 0.5 * np.log(v1 / v0))[:, None] - 0.5 * (
                (zt - m1[:, None]) ** 2 / v1[:, None] - (zt - m0[:, None]) ** 2 / v0[:, None]
            )
            with np.errstate(over="ignore"):
                post = 1.0 / (1.0 + np.exp(-log_odds))
            if it == n_iter:
                break
            wr = post * w
            n1 = np.clip(wr.sum(axis=1), 1e-12, total - 1e-12)
            n0 = total - n1
            wrz = wr * zt
            s1, sq1 = wrz.sum(axis=1), (wrz * zt).sum(axis=1)
            m1, m0 = s1 / n1, (sum_z - s1) / n0
            v1 = np.maximum(sq1 / n1 - m1**2, 0.0) + reg
            v0 = np.maximum((sum_z2 - sq1) / n0 - m0**2, 0.0) + reg
            prop1 = n1 / total
        log_p0 = (np.log1p(-prop1) - 0.5 * (_LOG_2PI + np.log(v0)))[:, None] - 0.5 * (
            zt - m0[:, None]
        ) ** 2 / v0[:, None]
        ll = (log_p0 + np.logaddexp(0.0, log_odds)) @ w
        better = ll > best_ll
        best_ll = np.where(better, ll, best_ll)
        best_post[better] = post[better]
    return best_ll - one, best_post.T


def _histogram_modes(z: np.ndarray, w: np.ndarray, bins: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Centre and squared half-width of the heaviest histogram bin of every column."""
    centres = np.empty(z.shape[1])
    half_width = np.empty(z.shape[1])
    for d in range(z.shape[1]):
        counts, edges = np.histogram(z[:, d], bins=bins, weights=w)
        top = int(np.argmax(counts))
        centres[d] = 0.5 * (edges[top] + edges[top + 1])
        half_width[d] = 0.5 * (edges[top + 1] - edges[top])
    return centres, half_width**2


def _weighted_quantiles(z: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    order = np.argsort(z, axis=0)
    cw = np.cumsum(w[order], axis=0)
    cw /= cw[-1]
    out = []
    for q in qs:
        idx = np.argmax(cw >= q, axis=0)
        cols = np.arange(z.shape[1])
        out.append(z[order[idx, cols], cols])
    return out


def grow(
    X: np.ndarray,
    current: _EMResult,
    *,
    tol: float,
    reg_covar: float,
    max_iter: int,
    rng: np.random.Generator,
    n_candidates: int = 3,
    short_iter: int = 10,
    n_proposal_rows: int = 512,
) -> _EMResult:
    """Best (k+1)-component EM result reachable by splitting one component of ``current``.

    Parameters
    ----------
    X : ndarray of shape (N, p)
        Centred data (the frame of ``current``).
    current : _EMResult
        A converged k-component fit on ``X``.
    tol, reg_covar, max_iter
        EM settings for the final run.
    rng : numpy.random.Generator
        Draws the rows used for the 1-D proposals.
    n_candidates : int
        Number of best 1-D splits that get ``short_iter`` EM iterations.
    n_proposal_rows : int
        The 1-D fits of a component use at most this many rows, drawn with probability
        proportional to the component's responsibilities (so they are unweighted).

    Returns
    -------
    _EMResult
        The converged (k+1)-component fit from the most promising split.
    """
    params = current.params
    _, log_resp = _e_step(X, params)
    resp = np.exp(log_resp)
    proposals = []  # (gain, component, direction)
    for c in range(params.weights.shape[0]):
        w = resp[:, c]
        if w.sum() < 2.0:
            continue
        dirs = _directions(params.covariances[c])
        rows = rng.choice(X.shape[0], size=n_proposal_rows, p=w / w.sum())
        z = (X[rows] - params.means[c]) @ dirs.T
        gain, _ = _two_gaussians_1d(z, np.ones(rows.size), reg_covar)
        gain *= w.sum() / rows.size
        for d in np.argsort(gain)[::-1][:n_candidates]:
            proposals.append((float(gain[d]), c, dirs[d]))
    proposals.sort(key=lambda item: item[0], reverse=True)
    moments = _Moments(X)
    best: _EMResult | None = None
    for _, c, direction in proposals[:n_candidates]:
        z = ((X - params.means[c]) @ direction)[:, None]
        _, post = _two_gaussians_1d(z, resp[:, c], reg_covar)
        post = post[:, 0]
        new_resp = np.concatenate([resp, (resp[:, c] * post)[:, None]], axis=1)
        new_resp[:, c] *= 1.0 - post
        start = _params_from_resp(X, new_resp, reg_covar, moments)
        trial = _run_em(X, start, tol=tol, reg_covar=reg_covar, max_iter=short_iter)
        if best is None or trial.log_likelihood > best.log_likelihood:
            best = trial
    if best is None:  # every component too small to split: fall back to a duplicate
        new_resp = np.concatenate([resp, resp[:, -1:] / 2.0], axis=1)
        new_resp[:, -2] /= 2.0
        best = _run_em(
            X,
            _params_from_resp(X, new_resp, reg_covar, moments),
            tol=tol,
            reg_covar=reg_covar,
            max_iter=short_iter,
        )
    if best.converged:
        return best
    return _run_em(X, best.params, tol=tol, reg_covar=reg_covar, max_iter=max_iter)
