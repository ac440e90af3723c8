"""Headless Debian Chromium for browser tests; skips with a reason where it is not installed, unless
PERSONAS_REQUIRE_BROWSER=1 (set by .ci/run): then a missing browser fails the test instead."""

from __future__ import annotations

import shutil
import time
from typing import Any

from tests.prerequisites import REQUIRE_BROWSER, missing

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)


def chromium_driver(*, window_size: str = "1280,1000", profile_dir: str | None = None) -> Any:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        missing(
            "headless chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
            REQUIRE_BROWSER,
        )
    try:
        from selenium import webdriver
    except ImportError:
        missing("selenium is not installed (pip install -e '.[dev]')", REQUIRE_BROWSER)
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={window_size}")
    if profile_dir is not None:
        options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path keeps Selenium Manager (which would go online) out of it
    return webdriver.Chrome(options=options, service=Service(chromedriver))


def wait_for(driver: Any, script: str, expected: Any, timeout: float = 30) -> Any:
    """Evaluate `script` until it returns `expected` (or time runs out); returns the last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value == expected:
            break
        time.sleep(0.2)
    return value
