"""Block-wise EM and statistics (issue #14): equal to the in-memory path, bounded memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from causalmix.mixture import _chunked as chunked
from causalmix.mixture import component_statistics, fit_mixture, large, select_n_components
from causalmix.mixture._em_loop import run_em
from causalmix.mixture._fit import centred_params
from causalmix.mixture._gaussian import (
    Data,
    params_from_resp,
    second_moments,
)
from causalmix.mixture.split import split_many
from tests.mixture.conftest import blobs


def _mixture_data(n_per: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X, _ = blobs(n_per, [(0.0, 0.0, 0.0), (5.0, 0.0, 1.0), (0.0, 5.0, -1.0)], [1.0, 0.5, 1.5], rng)
    return X[rng.permutation(X.shape[0])]


def test_second_moments_match_einsum():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    resp_t = rng.dirichlet(np.ones(3), size=300).T
    want = np.einsum("kn,ni,nj->kij", resp_t, X, X)
    # a sum of 300 products of O(1) terms: rounding about 300 eps, tolerance 1e-10 leaves 1e3
    np.testing.assert_allclose(second_moments(X, resp_t), want, rtol=0, atol=1e-10)


def test_cholesky_form_em_equals_feature_form(monkeypatch):
    """The Cholesky-form E-step and GEMM M-step (no stored features) give the feature form's
    EM iterates: the same converged fit from the same start."""
    X = _mixture_data(200, 1)
    X = X - X.mean(axis=0)
    labels = np.argmin(((X[:, None, :2] - np.array([[0, 0], [5, 0], [0, 5]])) ** 2).sum(2), 1)
    resp = np.eye(3)[labels]
    settings = {"tol": 1e-8, "reg_covar": 1e-6, "max_iter": 200}
    stored = Data(X)
    assert stored.features_t is not None
    with_features = run_em(stored, params_from_resp(stored, resp, 1e-6), **settings)
    monkeypatch.setattr("causalmix.mixture._gaussian._MOMENT_BUDGET", 0)
    bare = Data(X)
    assert bare.features_t is None
    cholesky = run_em(bare, params_from_resp(bare, resp, 1e-6), **settings)
    assert cholesky.n_iter == with_features.n_iter
    # both forms round differently (expanded vs whitened quadratic form, about eps * ||x||^2
    # ||P|| ~ 1e-13 per row); after convergence the parameters agree far below EM's tolerance
    for a, b in zip(cholesky.params, with_features.params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.filterwarnings("ignore:EM with 3 components did not converge")  # a rough start
@pytest.mark.parametrize("chunk_size", [7, 256, 10**6])
def test_chunked_em_equals_in_memory_em(chunk_size):
    X = _mixture_data(200, 2)
    start = fit_mixture(X, 3, max_iter=2, random_state=0)
    center = X.mean(axis=0)
    mapper = chunked.map_in_memory(chunked.array_blocks(X, chunk_size))
    params = centred_params(start, center)
    settings = {"tol": 1e-6, "reg_covar": start.reg_covar, "max_iter": 50}
    got = chunked.run_em(mapper, center, params, **settings)
    want = run_em(X - center, params, **settings)
    assert got.n_iter == want.n_iter
    # the same iteration, summed in a different order (blocks; one GEMM): rounding only
    np.testing.assert_allclose(got.log_likelihood, want.log_likelihood, rtol=1e-12)
    for a, b in zip(got.params, want.params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("chunk_size", [5, 100, 10**6])
def test_summarise_equals_in_memory_statistics(chunk_size):
    X = _mixture_data(150, 3)
    mixture = fit_mixture(X, 3, random_state=0)
    summary = large.summarise(X, mixture, chunk_size=chunk_size)
    want = component_statistics(X, mixture)
    # sums of 450 weighted products in another order: relative rounding about 1e-14
    for field in ("n", "means", "grams", "center"):
        np.testing.assert_allclose(
            getattr(summary.statistics, field), getattr(want, field), rtol=1e-10, atol=1e-9
        )
    np.testing.assert_array_equal(summary.labels, mixture.predict(X))
    np.testing.assert_allclose(summary.effective_sizes, want.n, rtol=1e-12)


def test_block_wise_pass_uses_memory_bounded_by_the_chunk():
    """Statistics of 2^18 rows with 1024-row blocks: the peak of new allocations stays far
    below the (N, K) responsibilities the in-memory path allocates."""
    rng = np.random.default_rng(4)
    n = 2**18
    X = rng.standard_normal((n, 3)) + rng.integers(0, 3, size=n)[:, None] * 4.0
    mixture = fit_mixture(X[:3000], 3, random_state=0)
    resp_bytes = n * 3 * 8  # 6.3 MB
    tracemalloc.start()
    try:
        large.summarise(X, mixture, chunk_size=1024)
        _, chunked_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        large.refine(X, mixture, max_iter=2, chunk_size=1024)
        _, refine_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        component_statistics(X, mixture)
        _, in_memory_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # labels (N int64 = 2 MB) are the only O(N) output of summarise; block temporaries are
    # about 1024 * (K p + p + K) * 8 bytes = 0.1 MB
    assert chunked_peak < n * 8 + 2**20
    assert refine_peak < 2**20
    assert in_memory_peak > resp_bytes


def test_selection_on_a_sample_refines_on_all_rows():
    X = _mixture_data(400, 5)
    res = select_n_components(X, 5, criterion="bic", selection_size=600, random_state=0)
    assert res.n_selection_samples == 600
    assert res.n_components == 3
    assert res.mixture.n_samples == X.shape[0]
    # the refit on all rows ends at a point EM does not improve by more than tol
    again = large.refine(X, res.mixture, max_iter=1)
    assert again.log_likelihood - res.mixture.log_likelihood < 1e-4


def test_split_many_makes_several_splits_at_once():
    X = _mixture_data(300, 6)
    X = X - X.mean(axis=0)
    data = Data(X)
    one = run_em(data, params_from_resp(data, np.ones((X.shape[0], 1)), 1e-6), tol=1e-6,
                  reg_covar=1e-6, max_iter=100)  # fmt: skip
    grown = split_many(data, one, threshold=50.0, tol=1e-6, reg_covar=1e-6, max_iter=200,
                       rng=np.random.default_rng(0))  # fmt: skip
    assert grown is not None and grown.params.weights.size >= 3
    none = split_many(data, one, threshold=1e12, tol=1e-6, reg_covar=1e-6, max_iter=200,
                      rng=np.random.default_rng(0))  # fmt: skip
    assert none is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_split": "yes"}, "batch_split must be True, False or 'auto'"),
        ({"selection_size": 1}, "selection_size must be an integer >= 2"),
        ({"selection_size": 100, "chunk_size": 0}, "chunk_size must be"),
    ],
)
def test_selection_errors(kwargs, match):
    X = _mixture_data(100, 7)
    with pytest.raises(ValueError, match=match):
        select_n_components(X, 3, criterion="bic", random_state=0, **kwargs)


def test_selection_memory_does_not_grow_with_the_rows():
    """Selection on a 2000-row sample plus EM rounds on all rows in 1024-row blocks: 4x more
    rows (2^16 -> 2^18) leave the peak of new allocations unchanged, while one (N, K)
    responsibility array would grow by 4.7 MB."""
    rng = np.random.default_rng(8)
    peaks = []
    for n in (2**16, 2**18):
        X = rng.standard_normal((n, 3)) + rng.integers(0, 3, size=n)[:, None] * 4.0
        tracemalloc.start()
        try:
            res = select_n_components(
                X, 4, criterion="bic", selection_size=2000, chunk_size=1024, random_state=0
            )
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert res.n_components == 3 and res.mixture.n_samples == n
    # the peak comes from the in-memory selection on the sample (about 3 MB either way); the
    # block-wise passes hold a block and K p² sums; 1 MB covers allocator noise
    assert peaks[1] < peaks[0] + 2**20


def test_estimator_block_wise_path_fixed_k_and_observational_rows(monkeypatch):
    """Above IN_MEMORY_ROWS the estimator fits a fixed K on a sample and refines it on all rows,
    and observational rows are scored block-free on the rows given."""
    from causalmix import MixtureUTIGSP
    from causalmix.simulate import do_intervention, random_sem, sample_mixture

    rng = np.random.default_rng(9)
    sem = random_sem(4, expected_degree=2.0, random_state=rng)
    sample = sample_mixture(sem, [do_intervention(2, 1.0)], 4000, random_state=rng)
    monkeypatch.setattr(large, "IN_MEMORY_ROWS", 1500)
    est = MixtureUTIGSP(n_components=2, random_state=0).fit(
        sample.X, observational_rows=sample.labels == 0
    )
    assert est.mixture_.n_samples == 4000 and est.n_components_ == 2
    assert est.observational_method_ == "rows"
    # the component holding the observational rows is the one the labels say
    obs = est.observational_component_
    assert np.mean(est.labels_[sample.labels == 0] == obs) > 0.95
    assert est.targets_[1 - obs] == frozenset({2})


def test_scaled_rows_standardise_the_rows_asked_for():
    from causalmix.preprocessing import ScaledRows, robust_scaler

    X = np.random.default_rng(3).standard_normal((50, 3)) * [1.0, 10.0, 1e-3] + [0.0, 5.0, -2.0]
    scaler = robust_scaler(X)
    lazy = scaler.transform(X, lazy=True)
    assert isinstance(lazy, ScaledRows) and lazy.shape == (50, 3) and len(lazy) == 50
    want = scaler.transform(X)
    idx = np.array([1, 7, 30])
    np.testing.assert_array_equal(lazy[5:20], want[5:20])
    np.testing.assert_array_equal(lazy[idx], want[idx])
    np.testing.assert_array_equal(lazy[want[:, 0] > 0], want[want[:, 0] > 0])
    with pytest.raises(TypeError, match="row selections only"):
        lazy[:, 0]


@pytest.mark.parametrize("k", [2, "auto"])
def test_estimator_beyond_memory_keeps_no_standardised_copy(monkeypatch, k):
    """Above IN_MEMORY_ROWS the estimator standardises rows block by block as it reads them: the
    peak of its new allocations stays well below the data's size (a standardised copy is all of
    it)."""
    from causalmix import MixtureUTIGSP

    rng = np.random.default_rng(5)
    n, p = 2**18, 4
    X = rng.standard_normal((n, p)) + rng.integers(0, 2, size=n)[:, None] * [6.0, 0, 0, 0]
    monkeypatch.setattr(large, "IN_MEMORY_ROWS", 4096)
    monkeypatch.setattr(large, "DEFAULT_CHUNK", 4096)  # blocks of 128 kB
    MixtureUTIGSP(n_components=k, random_state=0).fit(X[:8192])  # imports and caches first
    tracemalloc.start()
    try:
        est = MixtureUTIGSP(n_components=k, random_state=0).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert est.mixture_.n_samples == n
    # labels_ (N intp, a quarter of X) and one more N-row vector of the diagnostics: half of X;
    # a standardised copy alone is all of X
    assert peak < 0.75 * X.nbytes
