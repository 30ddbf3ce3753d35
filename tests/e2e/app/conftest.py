"""The app (``/app/``) in headless Chromium against the platform started as processes: a
school whose people have names, put on the roster through the API; everything else
through the app's pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.auth import bearer
from tests.support.browser import DESKTOP, PHONE, assert_accessible, shot
from tests.support.people import NamedSchool, named_school
from tests.support.platform import Platform

LOADED = re.compile(r"Loaded\.$")


@pytest.fixture
def people(platform: Platform) -> NamedSchool:
    platform.wait_ready()  # a test before may have restarted a service
    return named_school(platform)


def token(person_id: str, role: str) -> str:
    return bearer(person_id, role)["Authorization"].removeprefix("Bearer ")


def loaded(page: Page) -> None:
    expect(page.locator("#status")).to_have_text(LOADED, timeout=20_000)


def open_app(page: Page, platform: Platform, person_id: str, role: str) -> None:
    page.goto(f"{platform.url}/app/")
    page.get_by_label("Access token").fill(token(person_id, role))
    page.get_by_role("button", name="Sign in").click()
    loaded(page)


def settled(page: Page) -> None:
    """Everything queued was sent, and the view shows what the server has now."""
    expect(page.locator("#network")).not_to_contain_text("waiting", timeout=20_000)
    loaded(page)


def view(page: Page, tab: str) -> None:
    page.locator("#tabs").get_by_role("link", name=tab).click()
    loaded(page)


def propose(page: Page, teacher: str, focus_area: str, goal: str, measure: str,
            by: str) -> None:
    """A cycle proposed from the Cycles view to the teacher chosen by name."""
    view(page, "Cycles")
    page.get_by_label("Teacher").select_option(label=teacher)
    page.get_by_label("Focus area").fill(focus_area)
    page.get_by_label("Goal: what will change").fill(goal)
    page.get_by_label("How it is measured").fill(measure)
    page.get_by_label("By").fill(by)
    page.get_by_role("button", name="Propose the cycle").click()


def log(page: Page, category: str, start: str, end: str) -> None:
    """Time logged on Today, by its start and end."""
    page.get_by_label("Category").select_option(label=category)
    page.get_by_label("or start").fill(start)
    page.get_by_label("and end").fill(end)
    page.get_by_role("button", name="Log time").click()
    expect(page.locator("#entries")).to_contain_text(f"{start}\N{EN DASH}{end} on")


def checked(page: Page, name: str) -> None:
    """axe-clean, and a screenshot kept (``var/screenshots/app-<name>.png``)."""
    loaded(page)
    assert_accessible(page, name)
    shot(page, f"app-{name}")


def tab_to(page: Page, name: str, presses: int = 80) -> None:
    """Moves the focus with the Tab key alone to the control whose accessible name (its
    label, its text) is ``name``."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.labels && e.labels[0] ? e.labels[0].textContent"
            " : e.getAttribute('aria-label') || e.textContent || '').trim() }")
        if focused == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[[bool], BrowserContext]]:
    """New browser contexts, desktop or phone (390x844), closed after the test."""
    made: list[BrowserContext] = []

    def new(on_phone: bool = False) -> BrowserContext:
        context = (browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
                   if on_phone else browser.new_context(viewport=DESKTOP))
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()
