"""The sBIC search: interventional mixtures from BIC's choice upwards (``criterion="sbic"``).

The model and its generalised EM are in :mod:`causalmix.mixture._structured`; this module
searches over its number of components:

- starts read off a free-covariance fit (:func:`from_gaussians`: per component, the target and
  the rank-one change of the precision; :func:`converted_starts` ranks the choice of the
  observational component);
- growth by one intervention (:func:`grow_candidates`, :func:`grow_fit`) and pruning of one
  (:func:`prune_fit`);
- :func:`interventional_search`, which runs them from the free mixture's BIC choice and returns
  the criterion per k for :func:`causalmix.mixture.select_n_components`.
"""

from __future__ import annotations

import logging

import numpy as np

from causalmix.mixture._em_loop import run_em
from causalmix.mixture._gaussian import Data, EMResult, params_from_resp_t
from causalmix.mixture._progress import report_stage
from causalmix.mixture._structured import (
    SParams,
    SResult,
    bic,
    e_step_t,
    log_likelihood,
    natural,
    run_gem,
)
from causalmix.mixture.split import grow

__all__ = [
    "converted_starts",
    "fit_from_gaussians",
    "from_gaussians",
    "grow_candidates",
    "grow_fit",
    "interventional_search",
    "prune_fit",
]

logger = logging.getLogger(__name__)

_RANKING_ROWS = 4096  # rows on which grown interventional starts are ranked


def _rank_two_fit(delta: np.ndarray, dh: np.ndarray) -> tuple[int, np.ndarray, float, float]:
    """Best target ``j`` and ``(a, b)`` with ``delta ≈ s² e_j e_jᵀ - a aᵀ``, ``dh ≈ g e_j + b a``.

    Off the ``(j, j)`` entry, ``delta`` must be ``-a aᵀ``: ``a_R`` comes from the most negative
    eigenpair of ``delta[R, R]``, ``a_j`` from the row ``delta[j, R] = -a_j a_R`` and ``b`` from
    ``dh[R] = b a_R``. Returns ``(j, a, b, residual)`` for the ``j`` with the smallest squared
    residual of these equations.
    """
    p = delta.shape[0]
    best = (0, np.zeros(p), 0.0, np.inf)
    for j in range(p):
        r = np.arange(p) != j
        block = delta[np.ix_(r, r)]
        vals, vecs = np.linalg.eigh(block)
        a = np.zeros(p)
        if vals[0] < 0:
            a[r] = np.sqrt(-vals[0]) * vecs[:, 0]
        norm2 = a @ a
        if norm2 > 0:
            a[j] = -(delta[j, r] @ a[r]) / norm2
        b = (dh[r] @ a[r]) / norm2 if norm2 > 0 else 0.0
        resid = (
            np.sum((block + np.outer(a[r], a[r])) ** 2)
            + 2 * np.sum((delta[j, r] + a[j] * a[r]) ** 2)
            + np.sum((dh[r] - b * a[r]) ** 2)
        )
        if resid < best[3]:
            best = (j, a, b, resid)
    return best


def from_gaussians(
    weights: np.ndarray, means: np.ndarray, covariances: np.ndarray, base: int
) -> tuple[SParams, float]:
    """Interventional-mixture start from free Gaussians with ``base`` as the observational one.

    Each other component's target and ``(a, b)`` are read off its precision difference to the
    base (:func:`_rank_two_fit`); ``(m, v)`` are its mean and variance of the target. Returns the
    parameters (components reordered: base first; ``a`` shrunk where needed, :func:`_feasible`)
    and the summed squared residual of the rank-two fits (zero when the Gaussians are exactly an
    interventional mixture with this base).
    """
    precisions = np.linalg.inv(covariances)
    hs = np.einsum("kij,kj->ki", precisions, means)
    others = [c for c in range(weights.size) if c != base]
    fits = [_rank_two_fit(precisions[c] - precisions[base], hs[c] - hs[base]) for c in others]
    targets = np.array([f[0] for f in fits], dtype=np.intp)
    p = means.shape[1]
    a = np.array([f[1] for f in fits]).reshape(len(others), p)
    idx = np.array(others, dtype=np.intp)
    params = SParams(
        weights=np.concatenate([[weights[base]], weights[idx]]),
        targets=targets,
        chol=np.linalg.cholesky(precisions[base]),
        h0=hs[base],
        a=a,
        b=np.array([f[2] for f in fits]),
        m=means[idx, targets],
        v=covariances[idx, targets, targets],
    )
    return _feasible(params), float(sum(f[3] for f in fits))


def _feasible(params: SParams, margin: float = 0.98) -> SParams:
    """Shrink each ``a_R`` so that ``Θ_0[R, R] - a_R a_Rᵀ`` is positive definite.

    That holds iff ``q = a_Rᵀ Θ_0[R, R]⁻¹ a_R < 1``; where ``q >= margin`` the vector is scaled
    by ``sqrt(margin / q)``. Starts read off noisy free covariances can violate it.
    """
    theta0 = params.chol @ params.chol.T
    a = params.a.copy()
    for c, j in enumerate(params.targets):
        r = np.arange(theta0.shape[0]) != j
        q = a[c, r] @ np.linalg.solve(theta0[np.ix_(r, r)], a[c, r])
        if q >= margin:
            a[c, r] *= np.sqrt(margin / q)
    return params._replace(a=a)


def grow_candidates(params: SParams) -> list[SParams]:
    """(k+1)-component starts: a new intervention on each node, in four variants each.

    The new component starts from the observational law with the target's marginal moved by one
    observational standard deviation either way, and with ``a = 0`` (the other nodes keep their
    observational conditional given the target: exact for a source node) or
    ``a = Θ_0[:, j] / sqrt(Θ_0[j, j])`` (the target's whole Markov blanket is cut: exact for a
    sink); EM then learns ``a``. It takes ``1 / (k + 1)`` of the weight from the others in
    proportion.
    """
    nat = natural(params)
    p = params.chol.shape[0]
    k = params.weights.size
    mean0, cov0, theta0 = nat.mean[0], nat.covariance[0], nat.precision[0]
    weights = np.concatenate([params.weights * k / (k + 1), [1.0 / (k + 1)]])
    out = []
    for j in range(p):
        sd = np.sqrt(cov0[j, j])
        for a in (np.zeros(p), theta0[:, j] / np.sqrt(theta0[j, j])):
            for sign in (1.0, -1.0):
                out.append(
                    _feasible(
                        params._replace(
                            weights=weights,
                            targets=np.append(params.targets, j),
                            a=np.vstack([params.a, a]),
                            b=np.append(params.b, 0.0),
                            m=np.append(params.m, mean0[j] + sign * sd),
                            v=np.append(params.v, cov0[j, j]),
                        )
                    )
                )
    return out


def _best_of(
    data: Data, starts: list[SParams], settings: dict, screen_iter: int = 20
) -> SResult | None:
    """Fit every start for ``screen_iter`` iterations, then the best one to convergence."""
    screened = []
    for start in starts:
        try:
            short = run_gem(data, start, **{**settings, "max_iter": screen_iter})
        except ValueError:  # a start that is not positive definite
            continue
        screened.append(short)
    if not screened:
        return None
    best = max(screened, key=lambda r: r.log_likelihood)
    if best.converged or screen_iter >= settings["max_iter"]:
        return best
    rest = run_gem(
        data, best.params, **{**settings, "max_iter": settings["max_iter"] - screen_iter}
    )
    return rest._replace(
        n_iter=best.n_iter + rest.n_iter, history=np.concatenate([best.history, rest.history])
    )


def converted_starts(ranking: Data, weights, means, covariances, n_bases: int = 2) -> list[SParams]:
    """Starts from a free-Gaussian fit: the ``n_bases`` bases whose start has the highest
    log-likelihood on the ``ranking`` rows (one E-step each)."""
    ranked = []
    for base in range(weights.size):
        params, _ = from_gaussians(weights, means, covariances, base)
        try:
            ranked.append((log_likelihood(ranking, params), base, params))
        except ValueError:
            continue
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [params for _, _, params in ranked[:n_bases]]


def fit_from_gaussians(
    data: Data, ranking: Data, weights, means, covariances, settings: dict
) -> SResult | None:
    """Best interventional-mixture fit started from a free-Gaussian fit (:func:`converted_starts`);
    None when no start is positive definite."""
    return _best_of(data, converted_starts(ranking, weights, means, covariances), settings)


def _ranked_fit(
    data: Data,
    ranking: Data,
    candidates: list[SParams],
    extra_starts: list[SParams],
    settings: dict,
    n_candidates: int = 2,
    rank_iter: int = 8,
) -> SResult | None:
    """Rank ``candidates`` by ``rank_iter`` GEM iterations on the ``ranking`` rows; fit the best
    ``n_candidates`` and ``extra_starts`` on ``data`` and return the best fit."""
    ranked = []
    for start in candidates:
        try:
            short = run_gem(
                ranking, start, tol=0.0, reg_covar=settings["reg_covar"], max_iter=rank_iter
            )
        except ValueError:
            continue
        ranked.append((short.log_likelihood, short.params))
    ranked.sort(key=lambda pair: -pair[0])
    starts = [params for _, params in ranked[:n_candidates]] + list(extra_starts)
    return _best_of(data, starts, settings)


def grow_fit(
    data: Data, ranking: Data, current: SResult, extra_starts: list[SParams], settings: dict
) -> SResult | None:
    """Best (k+1)-component fit: ``current`` grown by one intervention (:func:`grow_candidates`,
    ranked on the ``ranking`` rows), or one of ``extra_starts``."""
    return _ranked_fit(data, ranking, grow_candidates(current.params), extra_starts, settings)


def prune_fit(data: Data, ranking: Data, current: SResult, settings: dict) -> SResult | None:
    """Best (k-1)-component fit reached by deleting one interventional component of ``current``.

    Growing adds one component at a time, so a k-fit can carry a component that a better
    (k-1)-fit does without; this is the check.
    """
    params = current.params
    candidates = []
    for c in range(params.targets.size):
        keep = np.arange(params.targets.size) != c
        weights = np.delete(params.weights, c + 1)
        candidates.append(
            params._replace(
                weights=weights / weights.sum(),
                targets=params.targets[keep],
                a=params.a[keep],
                b=params.b[keep],
                m=params.m[keep],
                v=params.v[keep],
            )
        )
    return _ranked_fit(data, ranking, candidates, [], settings)


def interventional_search(
    data: Data, start: EMResult, max_components: int, rng: np.random.Generator, settings: dict
) -> tuple[int, dict[int, float], dict[int, float], EMResult]:
    """Add components while the interventional mixture's BIC improves, from the BIC choice.

    The interventional fits run on the columns scaled to unit variance (the model is invariant
    to it, the optimiser is not). Each k + 1 is the better of the free (k + 1)-fit grown from the
    free k-fit and converted (:func:`converted_starts`), and the interventional k-fit
    grown by one intervention (:func:`grow_fit`); afterwards added components are
    deleted again while that improves the criterion (:func:`prune_fit`). Returns the
    chosen k, the criterion and mean log-likelihood (original scale) per k fitted, and a
    free-covariance fit with the chosen k started from the interventional one (``start`` when
    nothing was added). Falls back to ``start`` alone (no interventional k) when k is already
    ``max_components``, p <= 2, or no interventional start is positive definite.
    """
    Xc, n = data.X, data.n
    scale = Xc.std(axis=0)
    scale[scale == 0] = 1.0
    Z = Xc / scale
    log_jac = float(np.log(scale).sum())
    zdata = Data(Z)
    ranking = Data(Z[rng.choice(n, size=min(n, _RANKING_ROWS), replace=False)])
    gem = {
        # a change below one nat over all rows, or tol / 10 per row, ends an interventional fit;
        # the criterion compares differences of (p + 4) log(N) / 2 nats and more
        "tol": max(settings["tol"] / 10.0, 1.0 / n),
        # reg_covar per node in the scaled frame: the free mixture's floor
        "reg_covar": settings["reg_covar"] / scale**2,
        "max_iter": settings["max_iter"],
    }

    def to_z(params):
        return params.weights, params.means / scale, params.covariances / np.outer(scale, scale)

    k = start.params.weights.size
    if k >= max_components or Xc.shape[1] <= 2:
        # nothing to add, or p + 4 parameters per component save nothing on a free Gaussian's
        return k, {}, {}, start
    free = start
    current = fit_from_gaussians(zdata, ranking, *to_z(free.params), gem)
    if current is None:  # no positive-definite start: the free family alone decides
        logger.warning("no interventional-mixture start is positive definite; using BIC alone")
        return k, {}, {}, start
    scores = {k: bic(zdata, current) + 2.0 * n * log_jac}
    lls = {k: current.log_likelihood - log_jac}
    logger.info("interventional mixture: k=%d, criterion %.1f", k, scores[k])
    while k < max_components:
        report_stage(k + 1, "(interventional mixture)")
        free = grow(data, free, rng=rng, **settings)
        grown = grow_fit(
            zdata, ranking, current, converted_starts(ranking, *to_z(free.params)), gem
        )
        if grown is None:
            break
        score = bic(zdata, grown) + 2.0 * n * log_jac
        scores[k + 1], lls[k + 1] = score, grown.log_likelihood - log_jac
        logger.info("interventional mixture: k=%d, criterion %.1f", k + 1, score)
        if score >= scores[k]:
            break
        k, current = k + 1, grown
    while k > start.params.weights.size:
        # the components were added one at a time: a (k-1)-fit reached by deleting one of them
        # can beat the (k-1)-fit the growth went through (which then made the k-th necessary)
        pruned = prune_fit(zdata, ranking, current, gem)
        if pruned is None:
            break
        score = bic(zdata, pruned) + 2.0 * n * log_jac
        if score >= min(scores[k - 1], scores[k]):
            break
        logger.info("interventional mixture: pruned to k=%d, criterion %.1f", k - 1, score)
        k, current = k - 1, pruned
        scores[k], lls[k] = score, pruned.log_likelihood - log_jac
    if k == start.params.weights.size:
        return k, scores, lls, start
    # free-covariance refit started from the interventional fit's responsibilities
    _, resp_t = e_step_t(zdata, current.params)
    return (
        k,
        scores,
        lls,
        run_em(data, params_from_resp_t(data, resp_t, settings["reg_covar"]), **settings),
    )
