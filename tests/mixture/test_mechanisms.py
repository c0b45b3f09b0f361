"""Shared-mechanism mixtures: EM, the SEM fit with one component, the grouping score, recovery."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from causalmix import MixtureUTIGSP
from causalmix.metrics import match_components, shd
from causalmix.mixture._mechanism_em import MechanismModel, e_step, m_step
from causalmix.mixture.mechanisms import fit_mechanism_mixture, mechanism_parameters
from causalmix.simulate import (
    do_intervention,
    hard_intervention,
    random_sem,
    sample_mixture,
    shift_intervention,
    soft_intervention,
)


def _sample(kind: str, seed: int = 0, n: int = 2**13, p: int = 5):
    rng = np.random.default_rng([seed, p, 4241])
    sem = random_sem(p, expected_degree=2.0, random_state=rng)
    make = {
        "do": lambda t: do_intervention(t, value=2.0),
        "hard": lambda t: hard_intervention(t, mean=2.5, var=0.5),
        "soft": lambda t: soft_intervention(t, weight_scale=0.2, mean=2.0, var=3.0),
        "shift": lambda t: shift_intervention(t, shift=3.0),
        "pair": lambda t: hard_intervention(t, mean=2.5, var=0.5),
    }[kind]
    sets = [{0, 3}, {1, 4}] if kind == "pair" else [{1}, {3}, {4}]
    return sample_mixture(sem, [make(t) for t in sets], n, random_state=rng)


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


# ----------------------------------------------------------------------------- EM
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_em_never_decreases_the_likelihood(seed):
    s = _sample("hard", seed, n=3000)
    rng = np.random.default_rng(seed)
    K, p = s.n_components, s.X.shape[1]
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag, 1e-6)
    groups = rng.integers(0, 2, size=(p, K))  # an arbitrary grouping: EM is monotone for any
    resp_t = rng.dirichlet(np.ones(K), size=Z.shape[0]).T
    lls = []
    for _ in range(25):
        state = m_step(model, groups, resp_t)
        ll, resp_t = e_step(state)
        lls.append(ll)
    # the M-step solves with a 1e-9 relative ridge, so it is the exact maximiser only up to a
    # relative 1e-9 of the Gram; the tolerance is that rounding of the total log-likelihood
    assert np.all(np.diff(lls) >= -1e-9 * abs(lls[0]))
    assert lls[-1] > lls[0]


def test_one_component_is_the_sem_maximum_likelihood_fit():
    s = _sample("shift", 3, n=4000, p=6)
    fit = fit_mechanism_mixture(s.X, s.dag, select_k=False, max_rounds=1)
    assert fit.n_components == 1 and fit.targets == (frozenset(),)
    n = s.X.shape[0]
    for j in range(6):
        P = np.flatnonzero(s.dag[:, j])
        design = np.column_stack([s.X[:, P], np.ones(n)])
        coef, *_ = np.linalg.lstsq(design, s.X[:, j], rcond=None)
        rss = np.sum((s.X[:, j] - design @ coef) ** 2)
        # the fit runs in the standardised frame with a 1e-9 relative ridge: agreement to ~1e-8
        np.testing.assert_allclose(fit.coefs[0, P, j], coef[:-1], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(fit.intercepts[0, j], coef[-1], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(fit.variances[0, j], rss / n, rtol=1e-6)
        assert np.all(fit.coefs[0, :, j][np.setdiff1d(np.arange(6), P)] == 0)


def test_log_prob_is_the_implied_gaussian():
    s = _sample("hard", 1, n=4000)
    fit = fit_mechanism_mixture(s.X, s.dag, _one_hot(s.labels, s.n_components), select_k=False)
    means, covs = mechanism_parameters(fit)
    lp = fit.log_prob(s.X[:50])
    for c in range(fit.n_components):
        ref = np.log(fit.weights[c]) + multivariate_normal(means[c], covs[c]).logpdf(s.X[:50])
        np.testing.assert_allclose(lp[:, c], ref, rtol=1e-9, atol=1e-8)  # two exact formulas
    np.testing.assert_allclose(fit.predict_proba(s.X[:50]).sum(axis=1), 1.0, rtol=1e-12)


# ------------------------------------------------------------- the score on population moments
def _partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _partitions(rest):
        yield [[first], *part]
        for i in range(len(part)):
            yield [*part[:i], [first, *part[i]], *part[i + 1 :]]


@pytest.mark.parametrize("kind", ["do", "hard", "soft", "shift", "pair"])
def test_population_grouping_is_exact(kind):
    """With population Grams the best grouping by expected BIC, over every partition of the
    components (brute force), is exactly the true one at every node."""
    s = _sample(kind, 0, n=1000)
    p, K = s.X.shape[1], s.n_components
    n_c = 1e6  # rows per component: population moments with a large sample's penalty
    model = MechanismModel(np.zeros((2, p)), s.dag, 1e-6)
    model.log_n = float(np.log(K * n_c))
    grams = []
    for comp in s.components:
        m = np.append(comp.mean, 1.0)
        second = np.zeros((p + 1, p + 1))
        second[:p, :p] = comp.covariance
        grams.append(n_c * (second + np.outer(m, m)))
    for j in range(p):
        k_mech = model.parents[j].size + 2
        best, best_part = -np.inf, None
        for part in _partitions(list(range(K))):
            q = sum(model.fit_mech(j, sum(grams[c] for c in g), n_c * len(g))[3] for g in part)
            score = q - 0.5 * len(part) * k_mech * model.log_n
            if score > best:
                best, best_part = score, part
        truth = {frozenset(c for c in range(K) if j not in s.components[c].targets)}
        truth |= {frozenset({c}) for c in range(K) if j in s.components[c].targets}
        truth.discard(frozenset())
        assert {frozenset(g) for g in best_part} == truth, (kind, j)


# ----------------------------------------------------------------------------- recovery
def _targets_by_truth(sample, fit_targets, means, covs):
    match = match_components(means, covs, sample.means, sample.covariances).true_to_est
    return [fit_targets[m] if m >= 0 else None for m in match]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["do", "hard", "soft", "shift", "pair"])
def test_each_kind_recovered_end_to_end(kind):
    s = _sample(kind, 0, n=2**14)
    est = MixtureUTIGSP(refine="mechanisms", random_state=0).fit(s.X)
    assert est.n_components_ == s.n_components
    found = _targets_by_truth(s, est.targets_, est.means_, est.covariances_)
    assert found == [c.targets for c in s.components], (found, s.targets)
    assert est.targets_[est.observational_component_] == frozenset()
    assert est.observational_margin_ > 0
    assert shd(est.adjacency_, s.dag) <= 1


def test_structural_em_rounds_never_end_worse():
    s = _sample("hard", 2, n=2**13)
    wrong = s.dag.copy().T  # every arc reversed: a poor first DAG
    fit = fit_mechanism_mixture(s.X, wrong, _one_hot(s.labels, s.n_components), select_k=False)
    bics = [b for _, b in fit.rounds]
    assert len(bics) >= 2
    assert fit.bic <= bics[0] + 1e-6 * abs(bics[0])  # the kept fit is never worse than round 1


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_argument():
    s = _sample("hard", 0, n=500)
    p, K = s.X.shape[1], s.n_components
    with pytest.raises(ValueError, match="dag must have shape"):
        fit_mechanism_mixture(s.X, np.zeros((p + 1, p + 1)))
    with pytest.raises(ValueError, match="cycle"):
        fit_mechanism_mixture(s.X, np.ones((p, p)) - np.eye(p))
    with pytest.raises(ValueError, match="responsibilities must have shape"):
        fit_mechanism_mixture(s.X, s.dag, np.ones((10, 2)) / 2)
    with pytest.raises(ValueError, match="rows summing to one"):
        fit_mechanism_mixture(s.X, s.dag, np.ones((500, K)))
    with pytest.raises(ValueError, match="groups must be an integer array"):
        fit_mechanism_mixture(s.X, s.dag, _one_hot(s.labels, K), groups=np.zeros((p, K + 1)))
    with pytest.raises(ValueError, match="max_rounds"):
        fit_mechanism_mixture(s.X, s.dag, max_rounds=0)
    with pytest.raises(ValueError, match="X must have 5 columns"):
        fit_mechanism_mixture(s.X, s.dag, select_k=False, max_rounds=1).log_prob(s.X[:, :2])
    with pytest.raises(ValueError, match="refine must be one of"):
        MixtureUTIGSP(refine="sem").fit(s.X)


def test_refine_needs_rows_in_memory(monkeypatch):
    from causalmix.mixture import large

    s = _sample("hard", 0, n=500)
    monkeypatch.setattr(large, "IN_MEMORY_ROWS", 400)
    with pytest.raises(ValueError, match="refine='mechanisms' needs the rows in memory"):
        MixtureUTIGSP(refine="mechanisms").fit(s.X)
