"""scikit-learn's estimator checks.

Every applicable check runs and must pass; ``check_array_api_input`` is skipped by scikit-learn
itself unless SCIPY_ARRAY_API is set (causalmix computes with NumPy only). The checks feed tiny
random data (10-60 rows), which exercises the component cap (p + 2 rows per component) and the
base-size guard of MixtureUTIGSP.
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from causalmix import MixtureUTIGSP


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([MixtureUTIGSP(n_runs=1, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
