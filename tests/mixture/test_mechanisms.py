"""Shared-mechanism mixtures: EM, the SEM fit with one component, the grouping score, recovery."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from causalmix import MixtureUTIGSP
from causalmix.graphs import dag_to_icpdag
from causalmix.metrics import match_components, shd
from causalmix.mixture._mechanism_em import (
    MechanismModel,
    bic_of,
    canonical,
    e_step,
    m_step,
    run_em,
)
from causalmix.mixture._mechanism_split import (
    blend_proposals,
    gather_proposals,
    split_proposals,
)
from causalmix.mixture._order_search import _NodeScores, order_search
from causalmix.mixture.mechanisms import fit_mechanism_mixture, mechanism_parameters
from causalmix.simulate import (
    do_intervention,
    hard_intervention,
    random_sem,
    sample_mixture,
    shift_intervention,
    soft_intervention,
)


def _sample(kind: str, seed: int = 0, n: int = 2**13, p: int = 5, sets=None):
    rng = np.random.default_rng([seed, p, 4241])
    sem = random_sem(p, expected_degree=2.0, random_state=rng)
    make = {
        "do": lambda t: do_intervention(t, value=2.0),
        "hard": lambda t: hard_intervention(t, mean=2.5, var=0.5),
        "soft": lambda t: soft_intervention(t, weight_scale=0.2, mean=2.0, var=3.0),
        "shift": lambda t: shift_intervention(t, shift=3.0),
        "pair": lambda t: hard_intervention(t, mean=2.5, var=0.5),
    }[kind]
    if sets is None:
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


# ----------------------------------------------------------------------------- growth
@pytest.mark.parametrize("kind", ["hard", "soft", "shift"])
def test_split_proposal_finds_a_merged_intervention(kind):
    """Components 1 and 2 (targets {1} and {3}) merged into one: the best-scored split is that
    component at one of the two targets, and its posterior tells their rows apart."""
    s = _sample(kind, 0, n=2**14)
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag, 1e-6)
    merged = np.where(s.labels == 3, 2, s.labels)  # K = 4 -> 3: components 2 and 3 become one
    merged = np.where(merged == 2, 1, np.where(merged == 1, 2, merged))  # the merged one is 1
    groups = np.tile(np.arange(3), (5, 1))
    state = m_step(model, groups, _one_hot(merged, 3).T.copy())
    _, resp_t = e_step(state)
    gain, c, j, post, _ = split_proposals(model, state, resp_t)[0]
    assert gain > 0 and c == 1 and j in (3, 4), (gain, c, j)
    # its posterior separates the two as well as the two true mechanisms at j would (least
    # squares on each one's own rows: the oracle's one-node classifier)
    rows = merged == 1
    truth = s.labels[rows] == (2 if j == 3 else 3)
    D = np.column_stack([Z[rows][:, s.dag[:, j] != 0], np.ones(rows.sum())])
    dens = []
    for part in (truth, ~truth):
        coef = np.linalg.lstsq(D[part], Z[rows][part, j], rcond=None)[0]
        var = np.mean((Z[rows][part, j] - D[part] @ coef) ** 2)
        dens.append(
            -0.5 * (np.log(var) + (Z[rows][:, j] - D @ coef) ** 2 / var) + np.log(part.mean())
        )
    oracle = np.mean((dens[0] > dens[1]) == truth)
    which = post[rows] > 0.5
    # 0.02: the two accuracies are estimated on the same ~8,000 rows (standard error ~0.005) and
    # the local fit estimates four more parameters than the oracle (a weight, both mechanisms)
    assert max(np.mean(which == truth), np.mean(which != truth)) > oracle - 0.02, oracle


@pytest.mark.parametrize("kind", ["hard", "shift"])
def test_gather_proposal_collects_a_spread_intervention(kind):
    """do(4)'s rows spread over the components of do(1) and do(3), each then holding a blend at
    node 4 (targets {1, 4} and {3, 4}): the gather proposal at node 4 gives both back the shared
    mechanism there and collects those rows in a new component; EM from it reaches the true
    grouping with a lower BIC than EM from the spread start, and no split of one component
    at one node does."""
    s = _sample(kind, 0, n=2**14)
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag, 1e-6)
    rng = np.random.default_rng(0)
    spread = np.where(s.labels == 3, rng.integers(1, 3, size=s.labels.size), s.labels)
    groups = np.zeros((5, 3), dtype=np.int64)
    groups[1, 1] = groups[3, 2] = 1
    groups[4, 1], groups[4, 2] = 1, 2
    _, ll0, rt0, *_ = run_em(model, groups, _one_hot(spread, 3).T.copy(), 300, 1e-9)
    state = m_step(model, groups, rt0)
    proposals = gather_proposals(model, state, rt0)  # one per node a holder is off at: 1, 3, 4
    at = [int(np.flatnonzero(g[:, 3] != g[:, 0])[0]) for g, _ in proposals]
    assert sorted(at) == [1, 3, 4]
    g, r = proposals[at.index(4)]
    st, ll, rt, *_ = run_em(model, g, r, 300, 1e-9)
    off = st.groups != st.groups[:, [0]]
    assert sorted(tuple(np.flatnonzero(off[:, c])) for c in range(4)) == [(), (1,), (3,), (4,)]
    assert bic_of(model, st.groups, ll) < bic_of(model, groups, ll0)
    # its rows: as well told apart as by EM started from the true labels and grouping. Both runs
    # reach the same optimum (measured: mean responsibilities equal to ~2e-6, the two runs
    # stopping at tol 1e-9 from different starts); 1e-4 leaves room for BLAS rounding
    truth = np.zeros((5, 4), dtype=np.int64)
    truth[1, 1] = truth[3, 2] = truth[4, 3] = 1
    *_, rt_true, _, _ = run_em(model, truth, _one_hot(s.labels, 4).T.copy(), 300, 1e-9)
    new = int(np.flatnonzero(off[4])[0])
    assert np.mean(rt[new, s.labels == 3]) == pytest.approx(
        np.mean(rt_true[3, s.labels == 3]), abs=1e-4
    )
    assert np.mean(rt[new, s.labels != 3]) == pytest.approx(
        np.mean(rt_true[3, s.labels != 3]), abs=1e-4
    )
    # the best one-node split's (local, penalised) gain is below the gathered one's
    best_split = max(gain for gain, *_ in split_proposals(model, state, rt0))
    assert best_split < bic_of(model, groups, ll0) - bic_of(model, st.groups, ll)


@pytest.mark.parametrize("kind", ["hard", "soft", "shift"])
def test_blend_proposal_takes_an_intervention_back_from_the_observational_component(kind):
    """The rows of the intervention at node 4 merged into the observational component, whose
    mechanism at 4 is then a blend that the three other components are all off (targets {1, 4},
    {2, 4}, {3, 4} against it): the blend proposal at node 4 (the observational guess alone there)
    reaches the true grouping by EM, with a lower BIC than the blended fit."""
    s = _sample(kind, 0, n=2**14, sets=[{1}, {2}, {3}, {4}])
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag, 1e-6)
    blended = np.where(s.labels == 4, 0, s.labels)
    groups = np.zeros((5, 4), dtype=np.int64)
    groups[1, 1] = groups[2, 2] = groups[3, 3] = 1
    groups[4, 0] = 1  # the observational component alone at node 4
    groups = np.array([canonical(row) for row in groups])
    _, ll0, rt0, *_ = run_em(model, groups, _one_hot(blended, 4).T.copy(), 300, 1e-9)
    state = m_step(model, groups, rt0)
    # every component is alone at one node and so shares as often as any other: the three
    # heaviest are taken apart, each at the node it is alone at (EM moved soft rows enough that
    # the observational component is not always the heaviest)
    proposals = blend_proposals(model, state, rt0)
    at = [int(np.flatnonzero(g[:, 4] != g[:, 0])[0]) for g, _ in proposals]
    assert len(at) == 3 and 4 in at
    g, r = proposals[at.index(4)]
    assert list(g[4]) == [0, 0, 0, 0, 1]
    st, ll, rt, *_ = run_em(model, g, r, 300, 1e-9)
    off = st.groups != st.groups[:, [0]]
    got = sorted(tuple(np.flatnonzero(off[:, c])) for c in range(5))
    assert got == [(), (1,), (2,), (3,), (4,)]
    assert bic_of(model, st.groups, ll) < bic_of(model, groups, ll0)
    # the new component holds the intervention's rows
    assert np.mean(rt[4, s.labels == 4]) > 0.5 > np.mean(rt[4, s.labels != 4])


def test_no_split_is_worth_its_price_without_interventions():
    """Observational data only: no (component, node) split improves the penalised likelihood."""
    rng = np.random.default_rng(7)
    sem = random_sem(6, expected_degree=2.0, random_state=rng)
    s = sample_mixture(sem, [], 2**14, random_state=rng)
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag, 1e-6)
    state = m_step(model, np.zeros((6, 1), dtype=np.int64), np.ones((1, Z.shape[0])))
    assert max(g for g, *_ in split_proposals(model, state, np.ones((1, Z.shape[0])))) < 0


def test_one_free_component_is_refined():
    """A shift the free mixture's BIC cannot pay for leaves one free component, trivially
    "separated": the refinement still runs (only it can find such a component) and finds it."""
    rng = np.random.default_rng([3, 77])
    sem = random_sem(5, expected_degree=1.5, random_state=rng)
    s = sample_mixture(sem, [shift_intervention(2, shift=1.5)], 2**14, weights=[0.6, 0.4],
                       random_state=rng)  # fmt: skip
    assert MixtureUTIGSP(refine="none", random_state=0).fit(s.X).n_components_ == 1
    est = MixtureUTIGSP(random_state=0).fit(s.X)
    assert est.refined_ and est.n_components_ == 2
    obs = est.observational_component_
    assert [sorted(t) for k, t in enumerate(est.targets_) if k != obs] == [[2]]


def test_refinement_skipped_when_components_are_separated():
    """Do-interventions leave no overlap: refine="mechanisms" keeps the free pipeline's answer
    (same draws, same results); overlapping hard interventions are refined."""
    s = _sample("do", 0, n=2**12)
    plain = MixtureUTIGSP(random_state=3).fit(s.X)
    est = MixtureUTIGSP(refine="mechanisms", random_state=3).fit(s.X)
    assert not est.refined_ and est.mechanisms_ is None
    assert est.targets_ == plain.targets_
    np.testing.assert_array_equal(est.adjacency_, plain.adjacency_)
    hard = _sample("hard", 0, n=2**12)
    est = MixtureUTIGSP(refine="mechanisms", random_state=3).fit(hard.X)
    assert est.refined_ and est.mechanisms_ is not None
    assert est.statistics_.n.size == est.n_components_  # the statistics of the refined components


# ----------------------------------------------------------------------------- structure
def _all_dags(p: int):
    pairs = [(i, j) for i in range(p) for j in range(i + 1, p)]
    for states in itertools.product((0, 1, 2), repeat=len(pairs)):
        A = np.zeros((p, p), dtype=np.int8)
        for (i, j), st in zip(pairs, states, strict=True):
            if st == 1:
                A[i, j] = 1
            elif st == 2:
                A[j, i] = 1
        if np.all(np.linalg.matrix_power(A.astype(np.int64) + np.eye(p, dtype=np.int64), p)
                  [A.T.astype(bool)] == 0):  # fmt: skip
            yield A


@pytest.mark.parametrize(("kind", "seed"), [("hard", 0), ("shift", 1), ("soft", 2)])
def test_order_search_reaches_the_best_dag(kind, seed):
    """With the true responsibilities and grouping, the order search's DAG scores as well as the
    best of all 543 DAGs on four nodes (brute force, same decomposable score), from a start with
    every arc reversed; and that DAG is the true one up to its I-equivalence class."""
    rng = np.random.default_rng([seed, 77])
    sem = random_sem(4, density=0.8, random_state=rng)
    make = {"hard": lambda t: hard_intervention(t, mean=2.0, var=0.5),
            "shift": lambda t: shift_intervention(t, shift=2.0),
            "soft": lambda t: soft_intervention(t, weight_scale=0.2, var=3.0)}[kind]  # fmt: skip
    s = sample_mixture(sem, [make(1), make(3)], 2**14, random_state=rng)
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag.T, 1e-6)
    groups = np.zeros((4, 3), dtype=np.int64)
    groups[1, 1] = groups[3, 2] = 1
    G, nc = model.grams(_one_hot(s.labels, 3).T.copy())
    scores = _NodeScores(groups, G, nc, model.floor, model.log_n)

    def total(A):
        return sum(scores._terms(j, list(np.flatnonzero(A[:, j])))[0] for j in range(4))

    brute = max(total(A) for A in _all_dags(4))
    found = order_search(model, groups, G, nc, s.dag.T)
    # relative 1e-6: the two totals sum the same node terms in different orders (rounding only)
    assert total(found) >= brute - 1e-6 * abs(brute)
    # and the true DAG up to its interventional equivalence class (targets {1} and {3})
    truth = dag_to_icpdag((s.dag != 0).astype(np.int8), [{1}, {3}])
    np.testing.assert_array_equal(dag_to_icpdag(found, [{1}, {3}]), truth)


# ----------------------------------------------------------------------------- recovery
def _targets_by_truth(sample, fit_targets, means, covs):
    match = match_components(means, covs, sample.means, sample.covariances).true_to_est
    return [fit_targets[m] if m >= 0 else None for m in match]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["hard", "soft", "shift", "pair"])
def test_each_kind_recovered_end_to_end(kind):
    """(do-interventions are not refined: test_refinement_skipped_when_components_are_separated)"""
    s = _sample(kind, 0, n=2**14)
    est = MixtureUTIGSP(refine="mechanisms", random_state=0).fit(s.X)
    assert est.n_components_ == s.n_components
    found = _targets_by_truth(s, est.targets_, est.means_, est.covariances_)
    assert found == [c.targets for c in s.components], (found, s.targets)
    assert est.targets_[est.observational_component_] == frozenset()
    assert est.observational_margin_ > 0
    assert shd(est.adjacency_, s.dag) <= 1
    assert est.statistics_.n.size == est.n_components_


def test_structural_em_rounds_never_end_worse():
    s = _sample("hard", 2, n=2**13)
    wrong = s.dag.copy().T  # every arc reversed: a poor first DAG
    fit = fit_mechanism_mixture(s.X, wrong, _one_hot(s.labels, s.n_components), select_k=False)
    bics = [b for _, b in fit.rounds]
    assert len(bics) >= 2
    assert fit.bic <= bics[0] + 1e-6 * abs(bics[0])  # the kept fit is never worse than round 1


def test_k_is_searched_again_on_the_dag_the_rounds_found(monkeypatch):
    # after the first choice of K the DAG rounds may fix arcs that made a spread target look like
    # extra targets: K is then searched again up to the cap (not only pruned), and the
    # alternation stops once a search keeps K
    from causalmix.mixture import mechanisms as M

    calls = []
    select, rounds = M.select_components, M.dag_rounds

    def spy_select(model, fit, settings, k_max, curve, **kw):
        out = select(model, fit, settings, k_max, curve, **kw)
        calls.append(("select", k_max, fit.resp_t.shape[0], out.resp_t.shape[0]))
        return out

    def spy_rounds(*args):
        calls.append(("rounds",))
        return rounds(*args)

    monkeypatch.setattr(M, "select_components", spy_select)
    monkeypatch.setattr(M, "dag_rounds", spy_rounds)
    s = _sample("shift", 1, n=2**12)
    cap = 6
    fit_mechanism_mixture(s.X, s.dag, select_k=True, max_components=cap, random_state=0)
    assert calls[0] == ("rounds",)  # the structure at the starting K first
    selects = [c for c in calls if c[0] == "select"]
    assert len(selects) >= 2 and all(k_max == cap for _, k_max, _, _ in selects)
    assert [c[0] for c in calls[1:]] == ["select"] + ["rounds", "select"] * (len(selects) - 1)
    # every alternation but the last changed K; the last kept it (or the limit was reached)
    assert all(k_in != k_out for _, _, k_in, k_out in selects[1:-1])
    last = selects[-1]
    assert last[2] == last[3] or len(selects) == M.MAX_ALTERNATIONS + 1


@pytest.mark.parametrize("seed", [0, 1])
def test_a_component_the_search_rows_cannot_pay_for_is_grown_on_all_rows(seed):
    # a 10 % shift at one node: on 2,000 search rows its gain is below its BIC price, on 40,000
    # rows far above (gain ~ N, price ~ log N); the search runs on the subsample, so K is grown
    # once more on all rows before the observational component is chosen
    rng = np.random.default_rng([seed, 77])
    sem = random_sem(4, expected_degree=1.5, random_state=rng)
    s = sample_mixture(
        sem, [shift_intervention({2}, shift=1.5)], 40000, weights=[0.9, 0.1], random_state=rng
    )
    # the rows fit_mechanism_mixture draws with random_state=0 (its first draw)
    rows = np.sort(np.random.default_rng(0).choice(40000, 2000, replace=False))
    sub = fit_mechanism_mixture(s.X[rows], s.dag, select_k=True, search_rows=None, random_state=0)
    assert len(sub.targets) == 1  # the search rows alone do not pay for the shift
    fit = fit_mechanism_mixture(s.X, s.dag, select_k=True, search_rows=2000, random_state=0)
    assert sorted(map(sorted, fit.targets)) == [[], [2]]
    # both on all rows: K = 1 is the fit carried there, K = 2 the one grown there
    assert fit.bic_curve[2] < fit.bic_curve[1]


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


def test_refine_beyond_memory_warns_when_it_was_needed(monkeypatch):
    """Beyond the in-memory limit the refinement is skipped: with a warning when the components
    overlap (hard), silently when they are separated (do)."""
    import warnings

    from causalmix.diagnostics import CausalmixWarning
    from causalmix.mixture import large

    monkeypatch.setattr(large, "IN_MEMORY_ROWS", 1000)
    hard = _sample("hard", 0, n=2000)
    with pytest.warns(CausalmixWarning, match="refine='mechanisms' skipped: it needs the rows"):
        est = MixtureUTIGSP(refine="mechanisms", random_state=0).fit(hard.X)
    assert not est.refined_
    do = _sample("do", 0, n=2000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = MixtureUTIGSP(refine="mechanisms", random_state=0).fit(do.X)
    assert not est.refined_
    assert not [w for w in caught if "refine=" in str(w.message)]
