"""Suite-wide settings: an exception raised in a thread a test started fails that test.

pytest only warns about such exceptions by default, so an `assert` inside a worker thread could never fail
a test: it ended the thread and the test went on to pass.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "error::pytest.PytestUnhandledThreadExceptionWarning")
