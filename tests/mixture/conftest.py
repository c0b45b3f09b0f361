"""Small data sets for the mixture tests."""

from __future__ import annotations

import numpy as np
import pytest


def blobs(n_per: int, means, scales, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rows from isotropic Gaussians, concatenated, with their labels."""
    X = np.concatenate(
        [m + s * rng.standard_normal((n_per, len(m))) for m, s in zip(means, scales, strict=True)]
    )
    return X, np.repeat(np.arange(len(means)), n_per)


@pytest.fixture
def three_blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return blobs(300, [(0.0, 0.0), (6.0, 0.0), (0.0, 6.0)], [1.0, 0.5, 1.5], rng)
