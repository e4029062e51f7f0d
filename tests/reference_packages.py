"""Reference packages the compute tests compare against (Captum, pytorch-grad-cam, openTSNE, ...).

Outside CI a missing one skips the tests that need it, as ``pytest.importorskip`` does. Under CI
(the ``CI`` environment variable is set, as in ``.ci/run``) a missing reference package is a failure:
a comparison that silently stopped running is not a passing test. tests/browser/conftest.py does the
same for a missing Chromium."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require(module: str) -> ModuleType:
    """Import ``module``; if it is missing, fail under CI and skip elsewhere."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        message = f"reference package missing: {module} ({error}); install the test extra: pip install -e '.[test]'"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message, allow_module_level=True)
