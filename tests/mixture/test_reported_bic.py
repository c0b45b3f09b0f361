"""K judged by the BIC of the model reported (issue #11): the observational component shares,
every other component has its own mechanisms at its targets."""

import numpy as np

from causalmix.mixture._mechanism_em import MechanismModel, run_em
from causalmix.mixture._mechanism_search import SearchFit, choose_observational
from causalmix.mixture.mechanisms import _by_reported_bic
from causalmix.simulate import random_sem, sample_mixture, shift_intervention

SETTINGS = {
    "tol": 1e-6,
    "max_iter": 100,
    "max_passes": 2,
    "top_moves": 4,
    "grow_candidates": 4,
    "screen_iter": 10,
    "gather_iter": 30,
}


def _fit(model: MechanismModel, labels: np.ndarray, groups: np.ndarray) -> SearchFit:
    K = groups.shape[1]
    resp = 0.98 * np.eye(K)[labels].T + 0.02 / K
    st, ll, rt, it, conv = run_em(model, groups, resp, 100, 1e-8)
    return SearchFit(st, ll, rt, it, conv)


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
        small = _fit(model, np.where(s.labels == 1, 1, 0), blend)
        true_groups = np.zeros((4, 3), dtype=np.int64)
        true_groups[1, 1] = true_groups[3, 2] = 1
        large = _fit(model, s.labels, true_groups)
        assert _reported(model, large) < _reported(model, small)
        chosen, (obs, fits, _) = _by_reported_bic(model, small, [large], SETTINGS, None)
        assert chosen is large
        assert fits[obs][4] == _reported(model, large)
        kept, _ = _by_reported_bic(model, small, [], SETTINGS, None)
        assert kept is small
        # a larger fit with the higher reported BIC is not taken: the observational rows cut in
        # two halves, one with its own mechanism at node 0
        halves = np.where((s.labels == 0) & (np.arange(s.labels.size) % 2 == 1), 3, s.labels)
        over = _fit(model, halves, np.hstack([true_groups, [[1], [0], [0], [0]]]))
        assert _reported(model, over) > _reported(model, large)
        assert _by_reported_bic(model, large, [over], SETTINGS, None)[0] is large
