"""The browser tests may only skip outside CI: in CI a missing chromium is a failure."""

import pytest

from tests.conftest import CHROMIUM_PATH, require_browser


def test_missing_browser_fails_in_ci(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="not found"):
        require_browser(str(tmp_path / "no-chromium"), {"CI": "true"})


def test_missing_browser_skips_locally(tmp_path):
    with pytest.raises(pytest.skip.Exception):
        require_browser(str(tmp_path / "no-chromium"), {})


def test_present_browser_passes(tmp_path):
    browser = tmp_path / "chromium"
    browser.write_text("")
    require_browser(str(browser), {"CI": "true"})
    assert CHROMIUM_PATH == "/usr/bin/chromium"
