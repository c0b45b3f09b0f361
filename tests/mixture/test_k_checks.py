"""The last checks of K on all rows (issue #11): two components holding the same targets made
one when the BIC says so, and K judged by the BIC of the model reported (the observational
component shares, every other component has its own mechanisms at its targets)."""

import numpy as np

from causalmix.mixture._mechanism_em import MechanismModel, run_em
from causalmix.mixture._mechanism_growth import merge_same_targets
from causalmix.mixture._mechanism_search import SearchFit, choose_observational
from causalmix.mixture.mechanisms import _by_reported_bic
from causalmix.simulate import (
    hard_intervention,
    random_sem,
    sample_mixture,
    shift_intervention,
)

SETTINGS = {
    "tol": 1e-6,
    "max_iter": 100,
    "max_passes": 2,
    "top_moves": 4,
    "grow_candidates": 4,
    "screen_iter": 10,
    "gather_iter": 30,
}
TARGET = 2


def _sample(means: list[float], seed: int):
    rng = np.random.default_rng([seed, 1111])
    sem = random_sem(4, expected_degree=2.0, random_state=rng)
    ivs = [hard_intervention(TARGET, mean=m, var=0.5) for m in means]
    weights = np.array([0.6] + [0.4 / len(means)] * len(means))
    s = sample_mixture(sem, ivs, 6000, weights=weights, random_state=rng)
    Z = (s.X - s.X.mean(0)) / s.X.std(0)
    return s, MechanismModel(Z, s.dag, 1e-6)


def _fit(model: MechanismModel, resp: np.ndarray, groups: np.ndarray | None = None) -> SearchFit:
    """EM from ``resp`` (K, N); by default every component its own mechanism at TARGET only."""
    if groups is None:
        groups = np.zeros((model.p, resp.shape[0]), dtype=np.int64)
        groups[TARGET] = np.arange(resp.shape[0])
    st, ll, rt, it, conv = run_em(model, groups, resp, 100, 1e-8)
    return SearchFit(st, ll, rt, it, conv)


def test_a_component_cut_from_the_observational_rows_is_given_back():
    """The observational rows with the lowest values at the intervened node started as a third
    component that also targets it (as a growth can leave them on a sample): EM keeps three,
    the merge search returns the two true components at a lower BIC."""
    for seed in (0, 1):
        s, model = _sample([2.0], seed)
        obs = s.labels == 0
        low = obs & (s.X[:, TARGET] < np.quantile(s.X[obs, TARGET], 0.3))
        resp = np.stack([obs & ~low, s.labels == 1, low]).astype(float)
        start = _fit(model, 0.98 * resp + 0.01)
        assert start.resp_t.shape[0] == 3 and np.exp(start.state.log_w).min() > 0.05
        out = merge_same_targets(model, start, SETTINGS)
        assert out.resp_t.shape[0] == 2
        assert out.bic(model) < start.bic(model)
        g = out.state.groups
        assert sorted(np.flatnonzero(g[:, 0] != g[:, 1]).tolist()) == [TARGET]
        # and at the optimum EM reaches from the true labels
        truth = _fit(model, 0.98 * np.eye(2)[s.labels].T + 0.01)
        assert out.bic(model) < truth.bic(model) + 1e-6 * abs(truth.bic(model))


def test_two_interventions_at_one_node_are_kept():
    """Two doses at the same node (means +2.5 and -2.5): the same target set, two distributions;
    no merge or deletion pays, the fit comes back unchanged."""
    for seed in (0, 1):
        s, model = _sample([2.5, -2.5], seed)
        start = _fit(model, 0.98 * np.eye(3)[s.labels].T + 0.01 / 3)
        assert merge_same_targets(model, start, SETTINGS) is start


def _fit_labels(model: MechanismModel, labels: np.ndarray, groups: np.ndarray) -> SearchFit:
    K = groups.shape[1]
    return _fit(model, 0.98 * np.eye(K)[labels].T + 0.02 / K, groups)


def _reported(model: MechanismModel, fit: SearchFit) -> float:
    obs, fits, _ = choose_observational(model, fit, SETTINGS, None)
    return fits[obs][4]


def test_a_fit_without_an_observational_component_loses_to_the_larger_one():
    """Observational rows and those of a shift at node 3 held by one component (a blend at node
    3), a shift at node 1 by another: no component of that fit is observational, so its reported
    model pays for a second mechanism at both nodes. The true three-component fit, offered as a
    rejected growth, has the lower reported BIC and is chosen; offered nothing, the fit stays."""
    for seed in (0, 1):
        rng = np.random.default_rng([seed, 2222])
        sem = random_sem(4, expected_degree=2.0, random_state=rng)
        ivs = [shift_intervention(1, shift=2.0), shift_intervention(3, shift=2.0)]
        s = sample_mixture(sem, ivs, 4000, random_state=rng)
        Z = (s.X - s.X.mean(0)) / s.X.std(0)
        model = MechanismModel(Z, s.dag, 1e-6)
        blend = np.zeros((4, 2), dtype=np.int64)
        blend[[1, 3], 1] = 1
        small = _fit_labels(model, np.where(s.labels == 1, 1, 0), blend)
        true_groups = np.zeros((4, 3), dtype=np.int64)
        true_groups[1, 1] = true_groups[3, 2] = 1
        large = _fit_labels(model, s.labels, true_groups)
        assert _reported(model, large) < _reported(model, small)
        chosen, (obs, fits, _) = _by_reported_bic(model, small, [large], SETTINGS, None)
        assert chosen is large
        assert fits[obs][4] == _reported(model, large)
        kept, _ = _by_reported_bic(model, small, [], SETTINGS, None)
        assert kept is small
        # a larger fit with the higher reported BIC is not taken: the observational rows cut in
        # two halves, one with its own mechanism at node 0
        halves = np.where((s.labels == 0) & (np.arange(s.labels.size) % 2 == 1), 3, s.labels)
        over = _fit_labels(model, halves, np.hstack([true_groups, [[1], [0], [0], [0]]]))
        assert _reported(model, over) > _reported(model, large)
        assert _by_reported_bic(model, large, [over], SETTINGS, None)[0] is large
