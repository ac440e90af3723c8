"""The dashboard's browser tests: a headless Chromium per test and the page helpers they share."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium_driver

WAIT_S = 40


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = chromium_driver(window_size="1400,2300", profile_dir=str(tmp_path / "profile"))
    driver.set_script_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # a redraw can replace an element between finding and reading it
            last_error = error
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error!r})")


def enter_key(driver: Any, key: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, "key-input")
    field.clear()
    field.send_keys(key)
    driver.find_element(By.ID, "key-submit").click()


def status_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, "status").text)
