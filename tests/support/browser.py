"""What every browser test shares: Debian's Chromium, the two viewports, where screenshots
are kept, and the accessibility check (axe-core, run in the page by axe-playwright-python)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# WCAG 2.1 A and AA rules only; a serious or critical violation fails the test.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = {"serious", "critical"}


def shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.1 AA violations on the page as it is now."""
    results = Axe().run(page, options=AXE_OPTIONS)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING]


def assert_accessible(page: Page, view: str) -> None:
    found = axe_violations(page)
    described = [f"{v['id']} ({v['impact']}): {v['help']} at "
                 + ", ".join(str(n["target"]) for n in v["nodes"][:3]) for v in found]
    assert not found, f"{view}: " + "; ".join(described)
