"""Errors on the CLI: library parameter names become flags; only deliberate errors are user errors."""

from __future__ import annotations

import os
import signal

import pytest

from causalmix._cli_runtime import Terminated, cli_message, handle_sigterm, is_user_error
from causalmix.io import DataError, read_table


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("covariance not positive definite; increase reg_covar", "increase --reg-covar"),
        ("alpha_ci must be in (0, 1), got 2", "--alpha-ci must be in (0, 1), got 2"),
        ("max_components=13 exceeds the number of rows", "--max-components=13 exceeds"),
        ("observational=5 is not a component index", "--observational=5 is not"),
        ("exists; pass force=True to replace it", "exists; pass --force to replace it"),
        ("pass header=False to name the columns", "pass --no-header to name"),
        ("drop them with drop_columns", "drop them with --drop-columns"),
        # English words stay words; quoted column names are never rewritten
        ("the observational component 3 holds 4 rows", "the observational component 3 holds"),
        ("column 'reg_covar' is constant", "column 'reg_covar' is constant"),
        ("first line\nsecond line", "first line"),
    ],
)
def test_cli_message_names_flags(message, shown):
    assert shown in cli_message(ValueError(message))
    assert "\n" not in cli_message(ValueError(message))


def test_user_errors_are_deliberate_raises(tmp_path):
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "absent.csv")
    assert is_user_error(info.value)
    with pytest.raises(TypeError) as info:
        _ = None + 1  # a bug-like error raised by Python itself
    assert not is_user_error(info.value)
    assert is_user_error(FileExistsError("exists"))
    assert not is_user_error(RuntimeError("boom"))
    assert not is_user_error(ValueError("never raised: no traceback"))


def test_handle_sigterm_raises_terminated_and_restores():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated):
        with handle_sigterm():
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs at the next bytecode
            pytest.fail("SIGTERM did not interrupt")
    assert signal.getsignal(signal.SIGTERM) is before
