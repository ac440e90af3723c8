"""What a test needs from outside the repository (a browser, ../shared/data): skipped with a reason where it is
absent, but failed where an environment variable says it must be there (.ci/run sets them), so CI can never
pass by skipping."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_BROWSER = "PERSONAS_REQUIRE_BROWSER"
REQUIRE_DATA = "PERSONAS_REQUIRE_DATA"


def missing(reason: str, required_by: str) -> NoReturn:
    """Skip the test for a missing prerequisite, or fail it when `required_by` is set (to anything but 0)."""
    if os.environ.get(required_by, "").strip() not in ("", "0"):
        pytest.fail(f"{reason}, and {required_by} is set: this test must run here", pytrace=False)
    pytest.skip(reason)
