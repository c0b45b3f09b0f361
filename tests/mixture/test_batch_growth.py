"""Growth of a shared-mechanism mixture from one component (issue #14: p = 50-100, where a
free-covariance BIC keeps one component): the excess start, the batch growth, the exact merge
of identical components, and the estimator's path through them."""

import numpy as np
import pytest

from causalmix import MixtureUTIGSP
from causalmix.mixture._mechanism_em import MechanismModel, e_step, m_step, run_em
from causalmix.mixture._mechanism_growth import batch_grow, merge_duplicates
from causalmix.mixture._mechanism_search import SearchFit
from causalmix.mixture._mechanism_split import _excess_start
from causalmix.simulate import (
    do_intervention,
    hard_intervention,
    random_sem,
    sample_mixture,
)

SETTINGS = {
    "tol": 1e-6,
    "max_iter": 100,
    "max_passes": 6,
    "top_moves": 4,
    "grow_candidates": 4,
    "screen_iter": 10,
    "gather_iter": 100,
}


def _do_sample(p: int, targets: list[int], n: int, seed: int):
    rng = np.random.default_rng([seed, p, 1414])
    sem = random_sem(p, expected_degree=2.0, random_state=rng)
    return sample_mixture(sem, [do_intervention(t, 1.0) for t in targets], n, random_state=rng)


def _one_component(s) -> tuple[MechanismModel, SearchFit]:
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag, 1e-6)
    state = m_step(model, np.zeros((s.X.shape[1], 1), dtype=np.int64), np.ones((1, Z.shape[0])))
    ll, resp_t = e_step(state)
    return model, SearchFit(state, ll, resp_t, 1, True)


def test_excess_start_finds_a_point_mass():
    """300 rows at one value among 3000 standard normal ones: the start is the bin holding the
    point mass (all 300 rows, and fewer other rows than that bin's expected count bounds)."""
    rng = np.random.default_rng(5)
    y = np.concatenate([rng.normal(size=3000), np.full(300, 0.7)])
    X = np.ones((y.size, 1))  # intercept only
    w = np.ones(y.size)
    coef, var = np.array([y.mean()]), float(y.var())
    start = _excess_start(X, y, w, coef, var)
    assert start[3000:].sum() == 300
    # the widest bin holding 0.7 is (range / 32) wide: ~0.2 of a unit, < 0.1 * 3000 rows
    assert start[:3000].sum() < 300


def test_excess_start_of_a_constant_column_is_empty():
    y = np.full(100, 2.0)
    start = _excess_start(np.ones((100, 1)), y, np.ones(100), np.array([2.0]), 1e-6)
    assert not start.any()


def test_merge_duplicates_is_exact():
    """A component split into two identical halves has the same likelihood as the whole; the
    merge returns to the whole and EM from there never loses likelihood. (Hard interventions:
    a do-component's floored variance makes the 1e-9 ridge of the M-step visible.)"""
    rng = np.random.default_rng(8)
    sem = random_sem(5, expected_degree=2.0, random_state=rng)
    ivs = [hard_intervention(1, mean=2.0, var=0.5), hard_intervention(3, mean=-2.0, var=0.5)]
    s = sample_mixture(sem, ivs, 3000, random_state=rng)
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag, 1e-6)
    groups = np.array([[0, 1, 2]] * 5)
    state, ll, rt, _, _ = run_em(model, groups, np.eye(3)[s.labels].T, 50, 1e-10)
    one_step = e_step(m_step(model, groups, rt))[0]
    # component 2 duplicated: the same group everywhere, half its rows each
    dup_groups = np.hstack([groups, groups[:, [2]]])
    dup_resp = np.vstack([rt[:2], rt[2] / 2, rt[2] / 2])
    dup_state = m_step(model, dup_groups, dup_resp)
    dup_ll, dup_rt = e_step(dup_state)
    assert dup_ll == pytest.approx(one_step, rel=1e-12)  # the same density, summed differently
    merged = merge_duplicates(model, SearchFit(dup_state, dup_ll, dup_rt, 1, False), SETTINGS)
    assert merged.resp_t.shape[0] == 3
    # EM from the merge is monotone up to the M-step's 1e-9 relative ridge (see test_mechanisms)
    assert merged.ll >= dup_ll - 1e-9 * abs(dup_ll)
    distinct = SearchFit(state, ll, rt, 1, True)
    assert merge_duplicates(model, distinct, SETTINGS) is distinct


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_growth_recovers_do_targets_on_the_true_dag(seed):
    """Five do-interventions at p = 10, grown at once from one component on the true DAG: six
    components, each holding one intervention's node off the shared mechanism. (A BIC may keep
    one more node off in a component whose 1,000 rows happen to differ there: seed 1 has a root
    whose variance in one component is 4 standard errors low; at most one such node.)"""
    targets = [0, 2, 5, 7, 9]
    s = _do_sample(10, targets, 6000, seed)
    model, fit = _one_component(s)
    grown = batch_grow(model, fit, SETTINGS, k_max=11)
    assert grown is not None and grown.resp_t.shape[0] == 6
    g = grown.state.groups
    obs = int(np.argmax([(g[:, c] == 0).sum() for c in range(6)]))
    off = [set(np.flatnonzero(g[:, c] != g[:, obs]).tolist()) for c in range(6) if c != obs]
    assert set().union(*off) == set(targets) and all(off)
    assert sum(len(o) - 1 for o in off) <= 1
    assert grown.bic(model) < fit.bic(model)


def test_batch_growth_needs_one_component_and_two_proposals():
    s = _do_sample(6, [2], 3000, 0)
    model, fit = _one_component(s)
    assert batch_grow(model, fit, SETTINGS, k_max=7) is None  # one proposal: grown one by one
    two = SearchFit(*run_em(model, np.zeros((6, 2), dtype=np.int64),
                            np.eye(2)[s.labels].T, 5, 1e-6)[:3], 1, False)  # fmt: skip
    assert batch_grow(model, two, SETTINGS, k_max=7) is None


def _forced_one(s, **kw) -> MixtureUTIGSP:
    # drop_ratio with an unreachable cutoff keeps one free component: the growth decides K
    return MixtureUTIGSP(
        criterion="drop_ratio", cutoff=10.0, max_components=5, random_state=0, **kw
    ).fit(s.X)


def _targets(est: MixtureUTIGSP) -> list[list[int]]:
    obs = est.observational_component_
    return sorted(sorted(t) for k, t in enumerate(est.targets_) if k != obs)


@pytest.mark.slow  # 3-6 s each
@pytest.mark.parametrize("seed, refined", [(4, False), (3, True)])
def test_one_free_component_grows(seed, refined):
    """When the free selection keeps one component, the batch growth finds the do-components
    and a free EM on all rows starts from them. Seed 4: they are separated, the free pipeline's
    answer stands. Seed 3: UT-IGSP's DAG on the pooled rows leads the growth to one spurious
    component that splits the observational rows; the free mixture overlaps, and the
    refinement's structural EM removes it."""
    s = _do_sample(8, [1, 4, 6], 2**13, seed)
    one = MixtureUTIGSP(criterion="drop_ratio", cutoff=10.0, max_components=5, refine="none")
    one = one.fit(s.X)
    assert one.n_components_ == 1
    est = _forced_one(s)
    assert est.selection_criterion_ == "mechanisms"
    assert est.n_components_ == 4 and est.refined_ == refined
    assert _targets(est) == [[1], [4], [6]]
    if not refined:
        assert est.mixture_.n_components == 4 and est.mechanisms_ is None
        free = MixtureUTIGSP(random_state=0).fit(s.X)  # the free BIC pays for them here
        assert free.n_components_ == 4 and _targets(free) == _targets(est)


def test_growth_beyond_memory_uses_a_sample_then_all_rows(monkeypatch):
    """Beyond the in-memory limit the growth runs on a sample and the EM and statistics on all
    rows."""
    from causalmix import _refine
    from causalmix.mixture import large

    s = _do_sample(8, [1, 4, 6], 2**13, 4)
    monkeypatch.setattr(large, "IN_MEMORY_ROWS", 4000)
    monkeypatch.setattr(_refine, "GROWTH_ROWS", 3000)
    est = _forced_one(s)
    assert est.n_components_ == 4 and est.selection_criterion_ == "mechanisms"
    assert est.statistics_.n.sum() == pytest.approx(s.X.shape[0])  # every row counted
    assert _targets(est) == [[1], [4], [6]]


def test_node_blocks_equal_the_slices_of_the_whole_grams():
    """The M-step's per-node blocks, computed directly on a sparse DAG (p = 30), equal the
    blocks of the whole Grams (summation order differs: rounding only)."""
    s = _do_sample(30, [3], 2000, 0)
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    model = MechanismModel(Z, s.dag, 1e-6)
    assert sum((P.size + 2) ** 2 for P in model.parents) < 31**2  # the direct path
    resp_t = np.random.default_rng(0).dirichlet(np.ones(4), size=2000).T
    G, _ = model.grams(resp_t)
    for j, block in enumerate(model.node_blocks(resp_t)):
        # entries are sums of 2000 products of O(1) values: rounding ~1e-13, far below atol
        np.testing.assert_allclose(block, model.node_grams(j, G), rtol=1e-12, atol=1e-9)


def test_select_k_batch_grows_at_once_and_checks_its_value():
    from causalmix.mixture.mechanisms import fit_mechanism_mixture

    s = _do_sample(10, [0, 2, 5, 7, 9], 6000, 0)
    fit = fit_mechanism_mixture(s.X, s.dag, select_k="batch", random_state=0)
    assert fit.n_components == 6
    assert sorted(sorted(t) for t in fit.targets if t) == [[0], [2], [5], [7], [9]]
    with pytest.raises(ValueError, match="select_k must be True, False or 'batch', got 'all'"):
        fit_mechanism_mixture(s.X, s.dag, select_k="all")


def test_select_k_true_in_any_spelling_grows_on_all_rows():
    # a numpy boolean or 1 passes the check of select_k; it must then mean True everywhere,
    # including the all-rows stage (it ran only for `select_k is True`), which writes the
    # BIC on all rows into the curve where the search rows' values were rescaled
    from causalmix.mixture.mechanisms import fit_mechanism_mixture

    s = _do_sample(4, [0, 2], 3000, 0)
    fits = [
        fit_mechanism_mixture(s.X, s.dag, select_k=v, search_rows=1000, random_state=0)
        for v in (True, np.True_, 1)
    ]
    for other in fits[1:]:
        assert other.bic_curve == fits[0].bic_curve
        assert other.targets == fits[0].targets


@pytest.mark.slow  # about 10 s
def test_select_k_batch_from_several_merges_a_split_observational_component():
    """The check of a grown mixture (select_k="batch" from several components): observational
    rows split in two components that differ at one node share every mechanism on the true DAG,
    so the search makes them identical and the exact merge leaves one."""
    from causalmix.mixture.mechanisms import fit_mechanism_mixture

    s = _do_sample(6, [4], 6000, 1)
    obs = s.labels == 0
    half = obs & (s.X[:, 0] > np.median(s.X[obs, 0]))  # an arbitrary split of the obs rows
    resp = np.stack([obs & ~half, half, ~obs], axis=1).astype(float)
    groups = np.zeros((6, 3), dtype=np.int64)
    groups[4, 2] = 1  # the do-component's target
    groups[2, 1] = 1  # the split half differs at node 2 (as a wrong DAG would have it)
    fit = fit_mechanism_mixture(
        s.X, s.dag, resp, groups=groups, select_k="batch", max_rounds=1, random_state=0
    )
    assert fit.n_components == 2
    assert sorted(sorted(t) for t in fit.targets) == [[], [4]]
    # from one component the same setting grows instead (the batch growth)
    grown = fit_mechanism_mixture(s.X, s.dag, select_k="batch", random_state=0)
    assert grown.n_components == 2


def test_folded_start_pools_the_folded_components_exactly():
    # the moments of a fold equal those of the union of its rows (law of total covariance)
    from causalmix import _refine

    rng = np.random.default_rng(5)
    X = np.concatenate(
        [rng.normal(m, 1.0, size=(n, 3)) for m, n in ((0, 400), (0.2, 300), (5, 300))]
    )
    labels = np.repeat([0, 1, 2], [400, 300, 300])
    before = np.eye(3)[labels]
    after = np.eye(2)[(labels == 2).astype(int)]  # components 0 and 1 merged
    start = _refine.folded(_hard_fit(X, before), before, after)
    assert start.n_components == 2
    np.testing.assert_allclose(start.weights, [0.7, 0.3])
    # exact algebra: only rounding (values of order 1-5, sums of 1,000 rows) separates them
    for k, rows in enumerate((labels < 2, labels == 2)):
        np.testing.assert_allclose(start.means[k], X[rows].mean(axis=0), atol=1e-12)
        np.testing.assert_allclose(start.covariances[k], np.cov(X[rows].T, bias=True), atol=1e-12)
    # a component of the smaller fit that no component goes to: no fold
    assert (
        _refine.folded(_hard_fit(X, before), before, np.eye(3)[np.where(labels == 2, 1, 0)]) is None
    )


def _hard_fit(X, resp):
    from causalmix.mixture import GaussianMixtureFit

    n = resp.sum(axis=0)
    means = (resp.T @ X) / n[:, None]
    covs = np.stack([np.cov(X[resp[:, c] > 0].T, bias=True) for c in range(resp.shape[1])])
    return GaussianMixtureFit.from_parameters(n / n.sum(), means, covs, n_samples=X.shape[0])
