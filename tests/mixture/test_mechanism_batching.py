"""The batched fits of the shared-mechanism searches against one-at-a-time computations.

The searches fit thousands of small mechanisms; they are batched (one solve for many Gram blocks,
the two-regression EM of every start side by side, the order search's distinct groups fitted
once). Each batched form must give what a plain loop over the same fits gives. Only the order of
the sums differs, so the tolerances are rounding's: over six seeds the largest differences were
2e-13 absolute on expected log-likelihoods of order 1e3 and 5e-15 on the two-regression
parameters; RTOL leaves two orders of magnitude above that.
"""

from __future__ import annotations

import numpy as np
import pytest

from causalmix.mixture._mechanism_em import (
    LOG_2PI,
    RIDGE,
    MechanismModel,
    canonical,
    m_step,
)
from causalmix.mixture._mechanism_split import N_ITER, TOL, _two_mechanisms
from causalmix.mixture._order_search import _coarsenings, _NodeScores
from causalmix.simulate import hard_intervention, random_sem, sample_mixture

RTOL, ATOL = 1e-12, 1e-12  # rounding only (see the module docstring)
# the order search's node score takes each residual sum of squares as a Schur complement
# (S_jj - b' A^-1 b: two numbers of order n that nearly cancel), the plain fit as
# B_yy - coef . rhs; the two cancellations round differently: 3.6e-11 relative measured
ORDER_RTOL = 1e-9


def _model(seed: int, p: int = 5, n: int = 3000):
    rng = np.random.default_rng([seed, 9150])
    sem = random_sem(p, expected_degree=2.0, random_state=rng)
    ivs = [hard_intervention(t, mean=2.0, var=0.5) for t in (1, 3)]
    s = sample_mixture(sem, ivs, n, random_state=rng)
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    resp_t = rng.dirichlet(np.ones(3), size=n).T
    return MechanismModel(Z, s.dag, 1e-6), resp_t, rng


def _fit_one(B: np.ndarray, n: float, floor: float):
    """Weighted least squares from one Gram block, written out plainly."""
    A = B[:-1, :-1] + RIDGE * max(n, 1.0) * np.eye(B.shape[0] - 1)
    coef = np.linalg.solve(A, B[:-1, -1])
    rss = max(B[-1, -1] - coef @ B[:-1, -1], 0.0)
    var = max(rss / n, floor)
    return coef[-1], coef[:-1], var, -0.5 * (n * (LOG_2PI + np.log(var)) + rss / var)


@pytest.mark.parametrize("seed", [0, 1])
def test_m_step_is_one_fit_per_group(seed):
    """The M-step (one batched solve per block size) against one solve per node and group, on
    an arbitrary grouping; the node log-densities against their formula."""
    model, resp_t, rng = _model(seed)
    groups = np.array([canonical(row) for row in rng.integers(0, 3, size=(model.p, 3))])
    state = m_step(model, groups, resp_t)
    blocks, nc = model.node_blocks(resp_t), resp_t.sum(axis=1)
    for j in range(model.p):
        assert len(state.mechs[j]) == groups[j].max() + 1
        for g, got in enumerate(state.mechs[j]):
            m = groups[j] == g
            want = _fit_one(blocks[j][m].sum(axis=0), nc[m].sum(), model.floor)
            for a, b in zip(got, want, strict=True):
                np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
            b0, beta, var, _ = got
            r = model.ZT[j] - b0 - beta @ model.ZT[model.parents[j]]
            np.testing.assert_allclose(
                state.contrib[j][g], -0.5 * (LOG_2PI + np.log(var) + r * r / var), rtol=RTOL
            )


def test_node_blocks_are_the_weighted_grams():
    """The Gram blocks, with the rows' products kept for the DAG, against the definition; a
    second call (kept products) and a new DAG (products recomputed) too."""
    model, resp_t, rng = _model(2)
    for dag in (model.dag.copy(), np.zeros_like(model.dag)):
        model.set_dag(dag)
        for r in (resp_t, rng.dirichlet(np.ones(3), size=model.n).T):
            for j, B in enumerate(model.node_blocks(r)):
                cols = model.Zt[:, np.append(model.idx[j], j)]
                want = np.einsum("kn,ni,nj->kij", r, cols, cols)
                np.testing.assert_allclose(B, want, rtol=RTOL, atol=ATOL)


def _two_mechanisms_one(X, y, w, s, floor, held):
    """One start of the two-regression EM, each weighted least squares solved on its own."""

    def wls(weights):
        n = weights.sum()
        XW = X * weights[:, None]
        coef = np.linalg.solve(XW.T @ X + RIDGE * max(n, 1.0) * np.eye(X.shape[1]), XW.T @ y)
        r = y - X @ coef
        return coef, max(weights @ (r * r) / n, floor)

    def logdens(coef, var):
        r = y - X @ coef
        return -0.5 * (LOG_2PI + np.log(var) + r * r / var)

    ll_old = -np.inf
    for _ in range(N_ITER):
        alpha = float(np.clip(w @ s / w.sum(), 1e-6, 1 - 1e-6))
        coef_a, var_a = held if held is not None else wls(w * (1.0 - s))
        coef_b, var_b = wls(w * s)
        la = np.log1p(-alpha) + logdens(coef_a, var_a)
        lb = np.log(alpha) + logdens(coef_b, var_b)
        top = np.logaddexp(la, lb)
        s = np.exp(lb - top)
        ll = float(w @ top)
        if ll - ll_old < TOL * w.sum():
            break
        ll_old = ll
    return ll, (coef_a, var_a, coef_b, var_b, alpha)


def test_two_mechanism_starts_run_side_by_side_as_alone():
    """Starts of different lengths (some converge early), some with mechanism A held: each
    start's result is what it gives run alone."""
    model, resp_t, rng = _model(3)
    j = int(np.argmax([P.size for P in model.parents]))
    X, y, w = model.Zt[:, model.idx[j]], model.ZT[j], resp_t[0]
    held_mech = (rng.normal(size=X.shape[1]), 1.3)
    starts = np.array([(y > 0), (np.abs(y) > 1), rng.random(y.size), (y > 1)], dtype=float)
    held = [None, None, held_mech, held_mech]
    lls, fits = _two_mechanisms(X, y, w, starts, model.floor, held)
    for s, h, ll, fit in zip(starts, held, lls, fits, strict=True):
        ll_one, fit_one = _two_mechanisms_one(X, y, w, s, model.floor, h)
        np.testing.assert_allclose(ll, ll_one, rtol=RTOL)
        for a, b in zip(fit, fit_one, strict=True):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    ("groups_j", "n_coarse"),
    # Bell numbers up to five groups (52, 15); above, the grouping and its 21 single merges
    [([0, 1, 2, 3, 4], 52), ([0, 1, 0, 2, 1, 3], 15), ([0, 1, 2, 3, 4, 5, 6], 22)],
)
def test_order_search_terms_are_the_best_coarsening(groups_j, n_coarse):
    """A node's score for a parent set and for each one-parent addition: the best over the
    grouping's coarsenings (all of them up to five groups, else one merge away) of the summed
    per-group fits, each group fitted by a plain regression on its summed Gram."""
    groups_j = np.array(groups_j)
    K = groups_j.size
    model, _, rng = _model(4, p=4)
    resp_t = rng.dirichlet(np.ones(K), size=model.n).T
    G, nc = model.grams(resp_t)
    groups = np.tile(groups_j, (model.p, 1))
    scores = _NodeScores(groups, G, nc, model.floor, model.log_n)
    assert len(_coarsenings(groups_j)) == n_coarse
    p, j = model.p, 3

    def score(P):
        best = -np.inf
        for row in _coarsenings(groups_j):
            q = 0.0
            for g in range(row.max() + 1):
                m = row == g
                sub = [*P, p, j]
                q += _fit_one(G[m].sum(axis=0)[np.ix_(sub, sub)], nc[m].sum(), model.floor)[3]
            best = max(best, q - 0.5 * (row.max() + 1) * (len(P) + 2) * model.log_n)
        return best

    for P in ([], [0], [0, 2]):
        now, more = scores._terms(j, P)
        np.testing.assert_allclose(now, score(P), rtol=ORDER_RTOL)
        for k in range(p):
            if k != j and k not in P:
                np.testing.assert_allclose(more[k], score(sorted([*P, k])), rtol=ORDER_RTOL)
