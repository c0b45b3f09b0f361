"""The dask path (issue #14): same numbers as the in-memory path; a one-line error without dask."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix import MixtureUTIGSP
from causalmix.mixture import _chunked, _dask, large, select_n_components
from causalmix.simulate import do_intervention, random_sem, sample_mixture

da = pytest.importorskip("dask.array", reason="the dask extra (causalmix[dask]) is not installed")


def _sample(n: int = 6000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sem = random_sem(4, expected_degree=2.0, random_state=rng)
    ivs = [do_intervention(1, 1.0), do_intervention(3, 1.0)]
    return sample_mixture(sem, ivs, n, random_state=rng).X


def test_missing_dask_names_the_extra(no_dask):
    with pytest.raises(ImportError, match=r"pip install 'causalmix\[dask\]'"):
        _dask.require()


def test_dask_matrix_errors():
    with pytest.raises(ValueError, match="X must be a 2-D dask array"):
        _dask.check_matrix(da.zeros(10, chunks=5))
    with pytest.raises(ValueError, match="X must hold real numbers"):
        _dask.check_matrix(da.zeros((10, 2), dtype=bool, chunks=5))


def test_observational_rows_need_in_memory_data():
    X = da.from_array(_sample(200), chunks=(100, 4))
    with pytest.raises(ValueError, match="observational_rows is not supported with a dask"):
        large.responsibilities(X, np.ones(200, dtype=bool), None)


def test_dask_selection_equals_in_memory_selection(monkeypatch):
    """Threaded scheduler: the same sample, the same EM passes summed in the same block order."""
    X = _sample()
    monkeypatch.setattr(_chunked, "DEFAULT_CHUNK", 1500)
    want = select_n_components(X, 4, criterion="bic", selection_size=4000, random_state=3)
    got = select_n_components(
        da.from_array(X, chunks=(1500, 4)), 4, criterion="bic", selection_size=4000,
        random_state=3,
    )  # fmt: skip
    assert got.n_components == want.n_components and got.n_selection_samples == 4000
    # identical blocks and summation order: equal up to the last bit in practice; 1e-12
    # tolerates a BLAS that splits a block's products differently between calls
    for field in ("weights", "means", "covariances"):
        np.testing.assert_allclose(
            getattr(got.mixture, field), getattr(want.mixture, field), rtol=1e-12, atol=1e-12
        )


@pytest.mark.slow
def test_estimator_on_a_local_cluster_equals_in_memory(monkeypatch):
    """MixtureUTIGSP.fit on a dask array computed by a dask.distributed LocalCluster gives the
    in-memory fit's K, targets and DAG, and its statistics to 1e-8."""
    distributed = pytest.importorskip("distributed")
    X = _sample()
    # the block-wise path for 6000 rows: selection on 4000 sampled rows, 1500-row blocks
    monkeypatch.setattr(large, "IN_MEMORY_ROWS", 4000)
    monkeypatch.setattr(_chunked, "DEFAULT_CHUNK", 1500)
    want = MixtureUTIGSP(random_state=0).fit(X)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        got = MixtureUTIGSP(random_state=0).fit(da.from_array(X, chunks=(1500, 4)))
        labels = got.labels_.compute()
    assert got.n_components_ == want.n_components_
    assert got.targets_ == want.targets_
    np.testing.assert_array_equal(got.adjacency_, want.adjacency_)
    np.testing.assert_array_equal(labels, want.labels_)
    for field in ("n", "means", "grams", "center"):
        np.testing.assert_allclose(
            getattr(got.statistics_, field), getattr(want.statistics_, field), rtol=1e-8, atol=1e-8
        )
