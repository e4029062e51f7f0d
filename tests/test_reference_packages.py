"""A missing reference package skips locally and fails under CI."""

from __future__ import annotations

import pytest

from reference_packages import require


def test_present_package_is_returned():
    assert require("numpy").__name__ == "numpy"


def test_missing_package_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no_such_reference_package"):
        require("no_such_reference_package")


def test_missing_package_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="reference package missing: no_such_reference_package"):
        require("no_such_reference_package")
