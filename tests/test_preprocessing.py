"""Robust per-column standardisation (causalmix.preprocessing) and the transforms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from causalmix.preprocessing import robust_scaler
from causalmix.transforms import apply_transform, log_transform, rank_transform


def test_gaussian_columns_get_their_standard_deviation():
    rng = np.random.default_rng(0)
    X = rng.normal([1.0, -3.0], [2.0, 0.5], size=(40_000, 2))
    sc = robust_scaler(X)
    assert sc.method == ("iqr", "iqr")
    # sampling error of the IQR at N = 40,000 is about 0.6 %; 3 % leaves a wide margin
    np.testing.assert_allclose(sc.scale, [2.0, 0.5], rtol=0.03)
    np.testing.assert_allclose(sc.location, [1.0, -3.0], atol=0.05)
    Z = sc.transform(X)
    np.testing.assert_allclose(np.median(Z, axis=0), 0.0, atol=1e-12)  # exact up to rounding


def test_outliers_do_not_set_the_scale():
    rng = np.random.default_rng(1)
    x = rng.normal(size=10_000)
    x[:50] = 1e6  # 0.5 % gross outliers: the standard deviation becomes ~7e4
    sc = robust_scaler(x[:, None])
    assert sc.method == ("iqr",)
    assert 0.9 < sc.scale[0] < 1.1  # the bulk's spread, not the outliers'


@pytest.mark.parametrize("spike", [0.6, 0.9])
def test_do_spike_holding_most_rows_does_not_collapse_the_scale(spike):
    # a do-intervention component holding the middle half (or 90 %) of a column: the IQR is the
    # spike's width, 1e-5 of the column's spread; the scale must stay near the bulk's spread
    rng = np.random.default_rng(2)
    n = 20_000
    m = int(spike * n)
    x = np.concatenate([1e-5 * rng.normal(size=m), rng.normal(size=n - m)])
    sc = robust_scaler(x[:, None])
    iqr = np.subtract(*np.quantile(x, [0.75, 0.25])) / 1.349
    assert iqr < 1e-3  # the case this test is about
    assert sc.method == ("range",)
    # the floor is a hundredth of the 1 %-99 % range: the spread of the other rows (sd 1) in
    # units of ~1/100, far from the spike's 1e-5
    assert 3e-3 < sc.scale[0] < 5e-2


def test_exact_spike_of_almost_all_rows_uses_the_rms_deviation():
    x = np.zeros(1000)
    x[:5] = [1.0, 2.0, -1.0, 3.0, 0.5]  # 99.5 % zeros: every quantile is 0
    sc = robust_scaler(x[:, None])
    assert sc.method == ("sd",)
    # the root-mean-square deviation from the median (0 here)
    np.testing.assert_allclose(sc.scale[0], np.sqrt(np.mean(x**2)), rtol=1e-12)


@pytest.mark.parametrize("unit", [1e-300, 1e300, 1e-6, 1e6])
def test_extreme_units_are_neither_constant_nor_overflowing(unit):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 2)) * [unit, 1.0]
    sc = robust_scaler(X)
    assert np.all(np.isfinite(sc.scale)) and np.all(sc.scale > 0)
    Z = sc.transform(X)
    ref = robust_scaler(X / [unit, 1.0]).transform(X / [unit, 1.0])
    # z = (x - median) / scale computed in two units: equal up to a few roundings
    np.testing.assert_allclose(Z, ref, rtol=1e-12, atol=1e-12)


def test_tiny_column_is_not_constant_but_equal_values_are():
    x = np.full((10, 2), 1e-300)
    x[3, 1] = 2e-300
    with pytest.raises(ValueError, match=r"constant column\(s\) \['a'\]"):
        robust_scaler(x, names=["a", "b"])


def test_inverse_maps_back_to_the_data_units():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(1000, 3)) * [1e-4, 1.0, 1e5] + [5.0, 0.0, -2e5]
    sc = robust_scaler(X)
    Z = sc.transform(X)
    mean_z, cov_z = Z.mean(axis=0), np.cov(Z, rowvar=False)
    np.testing.assert_allclose(sc.inverse_means(mean_z[None])[0], X.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(
        sc.inverse_covariances(cov_z[None])[0], np.cov(X, rowvar=False), rtol=1e-10, atol=0
    )
    assert sc.log_jacobian == pytest.approx(np.log(sc.scale).sum())


def test_huge_variances_are_reported_as_inf():
    sc = robust_scaler(np.random.default_rng(5).normal(size=(200, 1)) * 1e300)
    assert np.isinf(sc.inverse_covariances(np.ones((1, 1, 1)))[0, 0, 0])


# ------------------------------------------------------------------------------- transforms


def test_rank_transform_known_values_and_ties():
    X = np.array([[3.0, 1.0], [1.0, 1.0], [2.0, 5.0]])
    Z = rank_transform(X)
    q = norm.ppf([0.25, 0.5, 0.75])
    np.testing.assert_allclose(Z[:, 0], [q[2], q[0], q[1]])
    # ties share their average rank (1.5 of 4)
    np.testing.assert_allclose(Z[:, 1], norm.ppf([1.5 / 4, 1.5 / 4, 0.75]))


def test_rank_transform_is_monotone_and_normal():
    rng = np.random.default_rng(6)
    x = rng.exponential(size=(5000, 1)) ** 3
    z = rank_transform(x)[:, 0]
    assert np.all(np.diff(z[np.argsort(x[:, 0])]) > 0)
    assert abs(np.mean(z)) < 1e-12  # symmetric scores
    # normal scores: skewness 0 exactly by symmetry, sd close to 1 (the (N + 1) denominator)
    assert 0.99 < np.std(z) < 1.0


def test_log_and_apply_transform():
    X = np.array([[1.0, np.e], [np.e**2, 1.0]])
    np.testing.assert_allclose(apply_transform(X, "log"), [[0.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(apply_transform(X, "none"), X)
    np.testing.assert_allclose(apply_transform(X, "rank"), rank_transform(X))
    with pytest.raises(ValueError, match="column 1 has values <= 0"):
        log_transform([[1.0, 0.0], [2.0, 3.0]])
    with pytest.raises(ValueError, match="transform must be one of"):
        apply_transform(X, "sqrt")
    with pytest.raises(ValueError, match="finite 2-D array"):
        rank_transform([1.0, np.nan])
    with pytest.raises(ValueError, match="2-D array of numbers"):
        rank_transform([["a", "b"]])
