"""MixtureUTIGSP: scikit-learn compatibility, end-to-end recovery, validation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from causalmix.discovery import ut_igsp
from causalmix.estimator import MixtureUTIGSP
from causalmix.metrics import match_components, shd
from causalmix.simulate import (
    hard_intervention,
    paper_interventions,
    random_sem,
    sample_mixture,
)


def _paper_sample(p, n, seed, targets="all"):
    rng = np.random.default_rng(seed)
    sem = random_sem(p, density=0.8, random_state=rng)
    ivs = paper_interventions(sem, targets=targets, random_state=rng)
    return sample_mixture(sem, ivs, n, random_state=rng)


@pytest.fixture(scope="module")
def small():
    return _paper_sample(4, 4000, seed=11)


@pytest.fixture(scope="module")
def fitted(small):
    return MixtureUTIGSP(n_runs=3, random_state=0).fit(small.X)


def test_params_clone_and_paper_mode():
    est = MixtureUTIGSP(n_components=3, alpha_ci=0.01, random_state=4)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    twin.set_params(depth=2)
    assert twin.depth == 2 and est.depth == 4
    paper = MixtureUTIGSP.paper_mode(n_runs=2)
    assert (paper.criterion, paper.cutoff, paper.statistics, paper.n_runs) == (
        "drop_ratio",
        0.07,
        "resampled",
        2,
    )


def test_recovers_small_paper_mixture(small, fitted):
    est = fitted
    assert est.n_components_ == 5
    m = match_components(est.means_, est.covariances_, small.means, small.covariances)
    # the observational component is found from the data alone, with a clear margin
    assert m.est_to_true[est.observational_component_] == small.observational
    assert est.targets_[est.observational_component_] == frozenset()
    assert est.observational_margin_ >= 2
    chosen = [s for s in est.observational_scores_ if s["chosen"]]
    assert len(chosen) == 1 and chosen[0]["component"] == est.observational_component_
    # UT-IGSP on the TRUE labelled components of this sample is the yardstick: 800 rows per
    # component of a complete 4-node DAG leave one near-cancelling edge undetected even there, so
    # the unlabeled estimate must match the labelled one, not the population truth
    labelled = ut_igsp(
        [small.X[small.labels == k] for k in range(5)], base=0, n_runs=3, random_state=0
    )
    assert est.utigsp_.score <= labelled.score
    assert shd(est.adjacency_, small.dag) <= shd(labelled.adjacency, small.dag)
    for t in range(1, 5):
        assert small.targets[t] <= est.targets_[m.true_to_est[t]]  # every true target found
    np.testing.assert_allclose(est.weights_.sum(), 1.0)
    assert est.labels_.shape == (len(small.X),)


def test_predict_and_networkx(small, fitted):
    labels = fitted.predict(small.X[:50])
    assert labels.shape == (50,) and labels.max() < fitted.n_components_
    proba = fitted.predict_proba(small.X[:10])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    G = fitted.to_networkx(graph="dag")
    assert G.number_of_edges() == int(fitted.adjacency_.sum())
    assert set(G.nodes) == {"X0", "X1", "X2", "X3"}
    with pytest.raises(ValueError, match="X has 3 features, but MixtureUTIGSP is expecting 4"):
        fitted.predict(small.X[:, :3])
    with pytest.raises(ValueError, match="graph must be 'icpdag' or 'dag'"):
        fitted.to_networkx(graph="cpdag")


def test_dataframe_names_and_user_choices(small):
    names = ["a", "b", "c", "d"]
    frame = pd.DataFrame(small.X, columns=names)
    est = MixtureUTIGSP(n_components=5, observational=2, n_runs=2, random_state=1).fit(frame)
    assert list(est.feature_names_in_) == names and est.node_names_ == names
    assert est.observational_component_ == 2 and est.observational_method_ == "user"
    assert est.selection_curve_ == {} and est.selection_criterion_ == "fixed"
    rows = small.labels == 0
    by_rows = MixtureUTIGSP(n_components=5, n_runs=2, random_state=1).fit(
        small.X, observational_rows=rows
    )
    m = match_components(by_rows.means_, by_rows.covariances_, small.means, small.covariances)
    assert by_rows.observational_method_ == "rows"
    assert m.est_to_true[by_rows.observational_component_] == 0


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_components": "many"}, "n_components must be 'auto' or a positive integer"),
        ({"n_components": 0}, "n_components must be an integer >= 1, got 0"),
        ({"statistics": "raw"}, "statistics must be one of"),
        ({"alpha_ci": 1.5}, r"alpha_ci must be in \(0, 1\)"),
        ({"alpha_inv": 0}, r"alpha_inv must be in \(0, 1\)"),
        ({"observational": "first"}, "observational must be 'auto' or a component index"),
        ({"n_components": 2, "observational": 5}, "observational=5 is not a component index"),
        ({"n_runs": 0}, "n_runs must be an integer >= 1"),
        ({"start": "random"}, r"start must be one of \('min_degree', 'mixed'\), got 'random'"),
        ({"select": "sum"}, r"select must be one of \('lexicographic', 'total'\), got 'sum'"),
    ],
)
def test_bad_parameters(small, params, match):
    with pytest.raises(ValueError, match=match):
        MixtureUTIGSP(**params).fit(small.X[:500])


def test_bad_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MixtureUTIGSP().fit(np.where(X > 2, np.nan, X))
    const = X.copy()
    const[:, 1] = 4.0
    with pytest.raises(ValueError, match=r"constant column\(s\) \['X1'\]"):
        MixtureUTIGSP().fit(const)
    with pytest.raises(ValueError, match="X needs at least 6 rows for 3 variables, got 4"):
        MixtureUTIGSP().fit(X[:4])
    with pytest.raises(ValueError, match="observational_rows selects no row"):
        MixtureUTIGSP(n_components=1).fit(X, observational_rows=np.zeros(100, dtype=bool))
    with pytest.raises(ValueError, match=r"mask must have shape \(100,\)"):
        MixtureUTIGSP(n_components=1).fit(X, observational_rows=np.ones(3, dtype=bool))


def test_component_size_guards():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 3))
    with pytest.raises(
        ValueError, match=r"n_components=30 needs at least 150 rows \(p \+ 2 = 5 per"
    ):
        MixtureUTIGSP(n_components=30).fit(X)
    # three far-away rows form their own component, too small to serve as the observational base
    X_out = np.vstack([X, 50.0 + rng.normal(size=(3, 3))])
    rows = np.arange(100, 103)
    with pytest.raises(
        ValueError, match=r"holds only 3.0 effective rows; UT-IGSP needs more than p \+ 1 = 4"
    ):
        MixtureUTIGSP(n_components=2, random_state=0).fit(X_out, observational_rows=rows)


def test_single_component_is_observational():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 3))
    X[:, 1] += X[:, 0]
    est = MixtureUTIGSP(n_components=1, n_runs=2, random_state=0).fit(X)
    assert est.observational_component_ == 0 and est.observational_method_ == "single"
    assert est.targets_ == (frozenset(),)
    assert est.adjacency_[0, 1] + est.adjacency_[1, 0] == 1


def _assert_identical(a, b, where: str) -> None:
    """``a`` and ``b`` equal to the last bit: arrays, dataclasses and containers item by item."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where, strict=True)  # NaN matches NaN
    elif dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            _assert_identical(
                getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}"
            )
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_identical(x, y, f"{where}[{i}]")
    elif isinstance(a, float | np.floating):
        np.testing.assert_array_equal(a, b, err_msg=where)  # NaN matches NaN
    elif a is None or isinstance(a, bool | int | str | frozenset | np.integer | np.bool_):
        assert a == b, where
    else:  # a new kind of fitted attribute: say how two of them compare
        raise TypeError(f"{where}: no comparison for {type(a).__name__}")


@pytest.mark.filterwarnings("ignore::causalmix.diagnostics.CausalmixWarning")  # the checks
@pytest.mark.parametrize("case", ["separated", "overlapping"])
def test_reproducible_with_seed(small, case):
    """The same seed gives the same fit: every fitted attribute, nested results included.

    Nothing is skipped: the estimator keeps no timing (the CLI's fit_seconds is in result.json)
    and no other attribute that may differ between two runs.
    """
    if case == "separated":  # do-interventions: the free mixture's answer, with resamples
        X, params, refined = small.X, {"n_resamples": 2}, False
    else:  # overlapping hard interventions: refine="mechanisms" replaces the results
        rng = np.random.default_rng([0, 5, 4241])
        sem = random_sem(5, expected_degree=2.0, random_state=rng)
        ivs = [hard_intervention(t, mean=2.5, var=0.5) for t in (1, 3, 4)]
        X, params, refined = sample_mixture(sem, ivs, 2**12, random_state=rng).X, {}, True
    a = MixtureUTIGSP(n_runs=2, random_state=5, **params).fit(X)
    b = MixtureUTIGSP(n_runs=2, random_state=5, **params).fit(X)
    assert a.refined_ is refined  # both paths of fit are compared
    fitted = {k for k in vars(a) if k.endswith("_") and not k.startswith("_")}
    assert fitted == {k for k in vars(b) if k.endswith("_") and not k.startswith("_")}
    assert {"adjacency_", "labels_", "means_", "mixture_", "utigsp_", "diagnostics_"} <= fitted
    assert ("stability_" in fitted) is (case == "separated")
    assert (a.mechanisms_ is not None) is refined
    for name in sorted(fitted):
        _assert_identical(getattr(a, name), getattr(b, name), name)
