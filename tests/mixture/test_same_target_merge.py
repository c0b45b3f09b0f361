"""Two components holding the same targets (issue #11): merged or one deleted when the BIC says
so, kept when they are two interventions at one node."""

import numpy as np

from causalmix.mixture._mechanism_em import MechanismModel, run_em
from causalmix.mixture._mechanism_growth import merge_same_targets
from causalmix.mixture._mechanism_search import SearchFit
from causalmix.simulate import hard_intervention, random_sem, sample_mixture

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


def _fit(model: MechanismModel, resp: np.ndarray) -> SearchFit:
    """EM from ``resp`` (K, N), every component its own mechanism at TARGET only."""
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
