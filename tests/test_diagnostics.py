"""The checks of causalmix.diagnostics: each one triggered, and not triggered."""

from __future__ import annotations

import logging
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from causalmix import CausalmixWarning, MixtureUTIGSP
from causalmix import _component_shape as D_shape
from causalmix import diagnostics as D
from causalmix.mixture import fit_mixture
from causalmix.simulate import paper_interventions, random_sem, sample_mixture
from causalmix.stats import SufficientStatistics
from causalmix.stats.ci import GaussianCITester


def _fake(**kw):
    base = dict(
        n_components_=3, max_components_=None, selection_curve_={}, selection_criterion_="bic",
        cutoff=0.07, observational_component_=0, observational_method_="auto",
        observational_margin_=4, weights_=np.array([0.5, 0.3, 0.2]), node_names_=["a", "b", "c"],
        targets_=(frozenset(), frozenset({0}), frozenset({1})), reg_covar=1e-6,
        effective_sizes_=np.array([500.0, 300.0, 200.0]), select="total",
        mixture_=SimpleNamespace(converged=True, n_iter=7),
        utigsp_=SimpleNamespace(score=(3, 2), run_scores=((3, 2), (4, 1), (3, 3))),
    )  # fmt: skip
    base.update(kw)
    return SimpleNamespace(**base)


def _sample(p, n, seed, targets="all"):
    rng = np.random.default_rng(seed)
    sem = random_sem(p, density=0.8, random_state=rng)
    ivs = paper_interventions(sem, targets=targets, random_state=rng)
    return sample_mixture(sem, ivs, n, random_state=rng)


def _quiet_fit(X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MixtureUTIGSP(n_runs=3, random_state=0, **kw).fit(X)


@pytest.fixture(scope="module")
def small():
    return _sample(4, 4000, seed=11)  # 5 components = max_components (p + 1)


def _by_name(checks):
    return {c.name: c for c in checks}


def test_clean_fit_at_the_true_cap_flags_nothing(small):
    est = _quiet_fit(small.X)
    assert est.n_components_ == est.max_components_ == 5
    checks = _by_name(est.diagnostics_)
    assert not any(c.flagged for c in checks.values()), [c for c in checks.values() if c.flagged]
    # the (K + 1)-fit was tried and is worse: the cap is the truth here
    assert checks["components_at_cap"].value < 0
    assert set(checks) == {
        "components_at_cap", "observational_weight", "observational_margin",
        "observational_covariance", "target_fraction", "component_size", "em_converged",
        "search_agreement", "gaussianity",
    }  # fmt: skip


def test_cap_below_the_truth_is_flagged_and_warned(small):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = MixtureUTIGSP(max_components=3, n_runs=3, random_state=0).fit(small.X)
    mine = [str(w.message) for w in record if w.category is CausalmixWarning]
    assert any(m.startswith("components_at_cap: K = 3 is the largest") for m in mine)
    assert len(mine) == sum(c.flagged for c in est.diagnostics_)  # one warning per flag
    check = _by_name(est.diagnostics_)["components_at_cap"]
    assert check.flagged and check.value > 0 and check.threshold == 0.0
    assert "--max-components" in check.message
    assert check.to_dict()["passed"] is False


def test_cap_check_on_a_sample_of_the_rows(small, monkeypatch):
    # the (K + 1)-fit on 1,500 of the 4,000 rows: a cap below the truth still shows, the true
    # cap still does not
    monkeypatch.setattr(D, "GAIN_ROWS", 1500)
    grow_rows = []
    from causalmix.mixture import split

    grow = split.grow

    def spy(Z, *args, **kw):
        grow_rows.append(Z.n)  # the check hands grow its rows' features (a Data)
        return grow(Z, *args, **kw)

    monkeypatch.setattr(split, "grow", spy)
    low = _quiet_fit(small.X, max_components=3)
    grow_rows.clear()
    Z = low.scaler_.transform(small.X)
    check = D._components_at_cap(low, Z, np.random.default_rng(1))
    assert grow_rows == [1500]
    assert check.flagged and check.value > 0
    at_truth = _quiet_fit(small.X)
    assert not D._components_at_cap(at_truth, Z, np.random.default_rng(1)).flagged


def test_cap_check_grows_from_a_fit_converged_on_its_rows(small, monkeypatch):
    # the K-mixture is refitted on the sampled rows before one more component is grown from it:
    # the all-row fit evaluated there handed the grown mixture its own EM's in-sample advantage,
    # a false alarm in 16 of the 30 Figure 1 fits at p = 8, "all", where the cap is the truth
    # (docs/benchmarks/figure1_runs.csv, whose runs predate the fix)
    from causalmix.mixture import split
    from causalmix.mixture._em_loop import run_em

    monkeypatch.setattr(D, "GAIN_ROWS", 1000)
    seen = []
    grow = split.grow

    def spy(Z, current, **kw):
        seen.append((Z, current))
        return grow(Z, current, **kw)

    monkeypatch.setattr(split, "grow", spy)
    est = _quiet_fit(small.X)
    Z = est.scaler_.transform(small.X)
    values = [D._gain_beyond(est, Z, np.random.default_rng(r)) for r in range(4)]
    for rows, current in seen:
        assert rows.n == 1000
        step = run_em(rows, current.params, tol=0.0, reg_covar=est.mixture_.reg_covar, max_iter=1)
        assert step.log_likelihood - current.log_likelihood < 1e-3  # per row: converged there
    # one more component is then worse by most of its price (1 + p + p (p + 1) / 2 parameters);
    # grown from the all-row fit it came within -0.3 of it on these rows (-31 BIC units)
    price = (1 + 4 + 10) * np.log(1000)
    assert max(values) < -0.5 * price, values


def test_cap_checks_with_drop_ratio_and_fixed_k():
    Z = np.zeros((10, 3))
    rng = np.random.default_rng(0)
    paper = dict(max_components_=3, selection_criterion_="drop_ratio")
    assert D._components_at_cap(_fake(**paper, selection_curve_={3: 0.2}), Z, rng).flagged
    assert not D._components_at_cap(_fake(**paper, selection_curve_={3: 0.01}), Z, rng).flagged
    assert not D._components_at_cap(_fake(), Z, rng).flagged  # fixed n_components
    assert not D._components_at_cap(_fake(max_components_=4), Z, rng).flagged  # below the cap


def test_observational_weight():
    assert not D._observational_weight(_fake()).flagged
    small = D._observational_weight(_fake(weights_=np.array([0.04, 0.56, 0.4])))
    assert small.flagged and small.threshold == D.MIN_OBSERVATIONAL_WEIGHT
    assert "4.0 %" in small.message and "--observational-label" in small.message
    assert not D._observational_weight(_fake(n_components_=1)).flagged
    # 51 components of about 2 % each: an observational one of 1.8 % is an equal share, one of
    # 0.8 % is below half of it
    many = dict(n_components_=51, weights_=np.full(51, 1 / 51))
    assert not D._observational_weight(_fake(**many)).flagged
    many["weights_"] = np.r_[0.008, np.full(50, 0.992 / 50)]
    tiny = D._observational_weight(_fake(**many))
    assert tiny.flagged and tiny.threshold == pytest.approx(0.5 / 51)


def test_observational_margin():
    assert not D._observational_margin(_fake(observational_margin_=2)).flagged
    weak = D._observational_margin(_fake(observational_margin_=D.MAX_WEAK_MARGIN))
    assert weak.flagged and "observational.candidates" in weak.message
    assert not D._observational_margin(
        _fake(observational_margin_=0, observational_method_="user")
    ).flagged
    assert not D._observational_margin(_fake(observational_margin_=None)).flagged
    # refine="mechanisms": the margin is a BIC gap
    bic = dict(observational_method_="likelihood")
    assert D._observational_margin(_fake(observational_margin_=5.0, **bic)).flagged
    assert not D._observational_margin(_fake(observational_margin_=40.0, **bic)).flagged


def test_observational_covariance():
    rng = np.random.default_rng(1)
    good = rng.normal(size=(200, 3))
    const = good.copy()
    const[:, 1] = 0.5  # do-intervened: constant within the component
    for data, flagged in ((good, False), (const, True)):
        stats = SufficientStatistics.from_datasets([data, good])
        check = D._observational_covariance(_fake(statistics_=stats))
        assert check.flagged is flagged
    assert "singular covariance" in check.message


def test_target_fraction():
    ok = D._target_fraction(_fake())
    assert not ok.flagged and ok.value == pytest.approx(2 / 6)
    many = _fake(targets_=(frozenset(), frozenset({0, 1}), frozenset({1, 2})))
    check = D._target_fraction(many)
    assert check.flagged and "4 of 6" in check.message
    assert (
        "--refine mechanisms" in D._target_fraction(_fake(refine="none", **many.__dict__)).message
    )
    refined = _fake(**{**many.__dict__, "refine": "mechanisms"})
    assert (
        D._target_fraction(refined).flagged
        and "--refine" not in D._target_fraction(refined).message
    )
    exactly_half = _fake(targets_=(frozenset(), frozenset({0, 1}), frozenset({1})))
    assert not D._target_fraction(exactly_half).flagged  # "more than half"


def test_component_size():
    assert not D._component_size(_fake()).flagged  # 200 >= 10 * 3
    check = D._component_size(_fake(effective_sizes_=np.array([500.0, 29.5, 200.0])))
    assert check.flagged and "[1]" in check.message and check.threshold == 30


def test_em_converged():
    assert not D._em_converged(_fake()).flagged
    check = D._em_converged(_fake(mixture_=SimpleNamespace(converged=False, n_iter=500)))
    assert check.flagged and "500 iterations" in check.message


def test_search_agreement():
    # total score 5 reached by runs 0 and 1 ((3, 2) and (4, 1))
    assert not D._search_agreement(_fake()).flagged
    # lexicographic: (3, 2) only by run 0
    lone = D._search_agreement(_fake(select="lexicographic"))
    assert lone.flagged and "--n-runs" in lone.message
    assert not D._search_agreement(
        _fake(utigsp_=SimpleNamespace(score=(3, 2), run_scores=((3, 2),)))
    ).flagged  # one run: nothing to compare


def test_search_agreement_not_judged_when_refined():
    """The refinement's order search chose the DAG: UT-IGSP's restarts do not speak for it."""
    check = D._search_agreement(_fake(select="lexicographic", refined_=True))
    assert not check.flagged and "not judged" in check.message


def _stab(ks):
    n = len(ks)
    freq = {int(k): c / n for k, c in zip(*np.unique(ks, return_counts=True), strict=True)}
    return SimpleNamespace(n_resamples=n, k_frequencies=freq)


def test_stability_k():
    """Flagged when no K has a majority of the refits (exactly half is not one)."""
    settled = D._stability_k(_stab([6] * 15 + [5] * 4 + [7]))
    assert not settled.flagged and settled.value == 0.75
    for ks, shares in (([6] * 10 + [5] * 10, "K = 5: 0.50, K = 6: 0.50"),
                       ([2] * 8 + [3] * 7 + [4] * 5, "K = 2: 0.40, K = 3: 0.35, K = 4: 0.25")):  # fmt: skip
        check = D._stability_k(_stab(ks))
        assert check.flagged and check.value <= D.MIN_K_AGREEMENT
        assert f"refits chose {shares}:" in check.message
        assert "adjacencies" in check.message


def test_stability_k_listed_only_with_stability_refits(small):
    """A fit without refits lists no stability check; with refits it is the last one."""
    est = _quiet_fit(small.X)
    assert "stability_k" not in _by_name(est.diagnostics_)
    est.stability_ = _stab([5] * 3 + [4] * 3)
    checks = D.compute_checks(est, est.scaler_.transform(small.X), np.random.default_rng(0))
    assert checks[-1].name == "stability_k" and checks[-1].flagged


def test_gaussianity_judges_the_reported_components():
    """With a refinement the shapes are those of its components, not the free mixture's."""
    rng = np.random.default_rng(2)
    data = np.vstack([rng.normal(size=(3000, 3)), rng.exponential(size=(3000, 3)) + 8])
    free = fit_mixture(data, 1, random_state=0)  # one component over both: far from Gaussian
    two = fit_mixture(data, 2, random_state=0)  # stands in for a refined model's components
    sizes = np.array([3000.0, 3000.0])
    plain = D._gaussianity(_fake(n_components_=2, mixture_=free, effective_sizes_=sizes), data)
    refined = D._gaussianity(
        _fake(n_components_=2, mixture_=free, mechanisms_=two, effective_sizes_=sizes), data
    )
    skewed = int(np.argmax(two.predict_proba(data)[-1]))  # the exponential blob (the last rows)
    assert f"{skewed}:a" in refined.message and f"{1 - skewed}:a" not in refined.message
    assert "1:a" not in plain.message  # one free component: only component 0 exists


def test_gaussianity():
    rng = np.random.default_rng(2)
    for data, flagged in (
        (rng.normal(size=(3000, 3)), False),
        (rng.exponential(size=(3000, 3)), True),
    ):
        mix = fit_mixture(data, 1, random_state=0)
        est = _fake(n_components_=1, mixture_=mix, effective_sizes_=np.array([3000.0]))
        check = D._gaussianity(est, data)
        assert check.flagged is flagged
    assert "--transform log" in check.message  # exponential: skewness 2, excess kurtosis 6


def test_gaussianity_ignores_do_spikes():
    # component 1 holds a do-intervened node: within it the node is constant but for the few
    # rows of component 0 the mixture attributes to it; its shape is not judged
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3000, 2))
    b = rng.normal(size=(3000, 2))
    b[:, 0] = 0.7 + 1e-5 * rng.normal(size=3000)
    X = np.vstack([a, b])
    mix = fit_mixture(X, 2, random_state=0)
    est = _fake(n_components_=2, mixture_=mix, effective_sizes_=3000.0 * np.ones(2))
    _, kurt, var, _ = D.component_shape(X, mix.predict_proba(X))
    spike = int(np.argmin(var[:, 0]))
    assert var[spike, 0] < 1e-6
    # what the exclusion is for: the spike's shape is that of the leaked rows (measured ~650)
    assert abs(kurt[spike, 0]) > D.MAX_EXCESS_KURTOSIS
    assert not D._gaussianity(est, X).flagged


def test_run_diagnostics_warns_once_per_flagged_check(small):
    est = _quiet_fit(small.X)
    est.observational_margin_ = 0
    est.weights_ = np.r_[0.01, est.weights_[1:]]
    est.observational_component_ = 0
    with pytest.warns(CausalmixWarning) as record:
        checks = D.run_diagnostics(est, est.scaler_.transform(small.X), np.random.default_rng(0))
    flagged = [c.name for c in checks if c.flagged]
    assert sorted(flagged) == ["observational_margin", "observational_weight"]
    assert [str(w.message).split(":")[0] for w in record] == flagged


def test_singular_base_is_not_a_repeated_warning(caplog):
    cov = np.diag([1.0, 0.0, 2.0])
    with caplog.at_level(logging.DEBUG, logger="causalmix.stats.ci"):
        prec = GaussianCITester.from_covariance(cov, 100.0).precision
    assert np.isfinite(prec).all()
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert "not positive definite" in caplog.records[0].getMessage()


def _shape_on_all_rows(Z, resp):
    """component_shape's moments with every row, however small its weight."""
    out = []
    for k in range(resp.shape[1]):
        w = resp[:, k] / resp[:, k].sum()
        d = Z - w @ Z
        m2 = w @ d**2
        out.append((w @ d**3 / m2**1.5, w @ d**4 / m2**2 - 3.0, m2))
    return [np.array(x) for x in zip(*out, strict=True)]


def test_component_shape_skips_only_rows_of_negligible_weight():
    # separated components: most rows have a responsibility of ~0 (some exactly 0, some below
    # NEGLIGIBLE) for the other component; the moments are those of every row
    rng = np.random.default_rng(5)
    X = np.vstack([rng.exponential(size=(2000, 3)), 8.0 + rng.normal(size=(1500, 3))])
    resp = fit_mixture(X, 2, random_state=0).predict_proba(X)
    resp[:5, 1], resp[:5, 0] = 0.0, 1.0
    assert ((resp > 0) & (resp < D_shape.NEGLIGIBLE)).any()
    skew, kurt, var, sizes = D.component_shape(X, resp)
    # the skipped rows weigh < 1e-12 each (a few hundred of them, deviations of order 10): their
    # share of any moment is far below 1e-9; atol for the variances' last digits
    for got, want in zip((skew, kurt, var), _shape_on_all_rows(X, resp), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sizes, resp.sum(axis=0))


def test_gaussianity_takes_the_fit_s_responsibilities(small):
    est = _quiet_fit(small.X)
    Z = est.scaler_.transform(small.X)
    given = D._gaussianity(est, Z, est.mixture_.predict_proba(Z))
    assert given == D._gaussianity(est, Z)
    # the fit passes its own responsibilities: the check it reports is the recomputed one
    assert _by_name(est.diagnostics_)["gaussianity"] == given
