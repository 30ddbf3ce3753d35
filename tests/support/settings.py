"""The test process's own settings (``coachops.settings``) changed for one test."""

from __future__ import annotations

import os

import pytest

from coachops import settings


def configure(monkeypatch: pytest.MonkeyPatch, **values: str) -> settings.Settings:
    """This process's settings as if ``values`` were in its environment, until the test
    ends (``monkeypatch`` puts the previous ones back)."""
    configured = settings.load({**os.environ, **values})
    monkeypatch.setattr(settings, "_current", configured)
    return configured
