"""The regressor-Gram inverse used by the invariance test."""

from __future__ import annotations

import numpy as np


def test_inverse_blocks_agree_with_cholesky_and_fall_back_to_pinv():
    from causalmix.stats._regression import _inverse_blocks

    rng = np.random.default_rng(0)
    M = rng.normal(size=(4, 4))
    good = M @ M.T + np.eye(4)
    v = rng.normal(size=(4, 1))
    singular = v @ v.T  # rank one: no Cholesky factor
    inv, null = _inverse_blocks(np.stack([good, singular]))
    np.testing.assert_allclose(inv[0] @ good, np.eye(4), atol=1e-10)
    assert null[0] is None
    assert null[1].shape == (4, 3)  # the three-dimensional null space of a rank-one matrix
    np.testing.assert_allclose(inv[1], np.linalg.pinv(singular), atol=1e-10)
    assert np.all(np.isfinite(inv))
