"""Headless Chromium driven by Selenium: for the browser tests and the README's screenshots.

It drives Debian's ``chromium`` and ``chromedriver`` at their fixed paths
(``.ci/run`` installs both with apt-get). Selenium is given both paths, so its
driver manager, which would download a browser, never runs. Chromium runs as
root in CI, so it needs ``--no-sandbox``; without the flags that turn off its
background networking it waits for the network, which this machine does not
have, and hangs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def why_not_available() -> str | None:
    """None when a browser test can run here, else the reason it cannot."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return 'selenium is not installed (pip install -e ".[test]")'
    return None


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A Selenium WebDriver for a fresh headless Chromium profile; quits it afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")  # selenium: no usage statistics
    profile = tempfile.mkdtemp(prefix="chaingrad-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot_of(driver: Any, element: Any, path: Path) -> Path:
    """A PNG of one element, whole: the window grows until the element fits in it."""
    for _ in range(5):
        bottom, inner = driver.execute_script(
            "var r = arguments[0].getBoundingClientRect();"
            "return [Math.ceil(r.bottom + window.scrollY), window.innerHeight]",
            element,
        )
        if inner >= bottom + 10:
            break
        size = driver.get_window_size()
        driver.set_window_size(size["width"], size["height"] + bottom + 10 - inner)
    driver.execute_script("window.scrollTo(0, 0)")
    path.write_bytes(element.screenshot_as_png)
    return path
