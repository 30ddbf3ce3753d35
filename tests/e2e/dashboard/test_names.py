"""The dashboard names regions, schools and coaches as the reports do (a CLT
representative's region at the top: ``test_roles``), and the figures under a breadcrumb
are those of the place it names; every coaching share stands beside its target and is
coloured as the figure shown reads; at phone width no label is cut and every table fits or
says it scrolls. Real clicks, axe on every view, screenshots kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from deploy.demo_district import District
from tests.e2e.dashboard.conftest import api, cell, hours, percent, shot, show, sign_in, token
from tests.support.browser import assert_accessible
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

TARGET_TEXT = "against the target of 40.0%"


def rows(report: dict[str, Any], level: str) -> list[dict[str, Any]]:
    return [r for r in report["rows"] if r["level"] == level]


def crumbs(page: Page) -> list[str]:
    return [" ".join(a.split()) for a in page.locator("#crumbs a").all_inner_texts()]


def headline(page: Page, section: str) -> str:
    return page.locator(f"#{section} .headline").inner_text()


def bars_agree_with_their_figures(page: Page) -> None:
    """Each share bar is coloured "below" exactly when the figure written beside it is."""
    for bar in page.evaluate("""() => [...document.querySelectorAll('svg.chart')].flatMap(
        svg => { const shown = svg.querySelectorAll('text.value');
                 return [...svg.querySelectorAll('rect.bar')].map((r, i) => ({
                     below: r.classList.contains('below'), shown: shown[i].textContent})); })"""):
        assert bar["below"] == (float(bar["shown"].rstrip("%")) < 40.0), bar


def test_a_leader_drills_down_by_name_to_a_coach_at_one_school(
        platform: Platform, demo: District, page: Page, screenshots: Path) -> None:
    leader = token(demo.id(demo.leader), "district_leader")
    sign_in(page, platform, leader)
    district = api(platform, leader, "/reports/time-use")
    # The demo's own places and people (the shared platform holds other tests' districts too).
    regions = {demo.region_id(code) for code in demo.region_of.values()}
    coaches = {demo.id(code) for code in demo.coach_schools}
    named_regions = [row for row in rows(district, "region") if row["key"] in regions]
    named_coaches = [row for row in rows(district, "coach") if row["key"] in coaches]
    assert {row["key"] for row in named_regions} == regions and named_coaches
    for row in named_regions:
        assert row["name"].endswith(" CLT")
        assert cell(page, "time-by-category", row["key"], "name") == row["name"]
    for row in named_coaches:
        assert not row["name"].startswith("Coach ")
        assert cell(page, "coaching-share", row["key"], "name") == row["name"]
    assert TARGET_TEXT in headline(page, "time-by-category")
    bars_agree_with_their_figures(page)
    assert_accessible(page, "leader time use")
    shot(page, screenshots, "names-leader-district")

    # A coach who serves two schools, drilled to through the first school's region.
    school_code = demo.schools[0]
    coach_code = demo.coach_of(school_code)
    assert len(demo.coach_schools[coach_code]) == 2
    region, school, coach = (demo.region_id(demo.region_of[school_code]), demo.id(school_code),
                             demo.id(coach_code))
    region_name = next(r["name"] for r in rows(district, "region") if r["key"] == region)
    coach_name = next(r["name"] for r in rows(district, "coach") if r["key"] == coach)

    page.locator(f'#time-by-category tr[data-key="{region}"] a').click()
    page.wait_for_selector(f'#time-by-category tr[data-key="{school}"] a')
    assert crumbs(page) == ["Home", region_name]
    page.locator(f'#time-by-category tr[data-key="{school}"] a').click()
    page.wait_for_selector(f'#time-by-category tr[data-key="{coach}"] a')
    assert crumbs(page) == ["Home", region_name, demo.school_label(school_code)]
    page.locator(f'#time-by-category tr[data-key="{coach}"] a').click()
    page.wait_for_function("() => location.hash.includes('coach=')")
    page.wait_for_selector("#time-by-category tbody tr")
    assert crumbs(page) == ["Home", region_name, demo.school_label(school_code), coach_name]

    # The figures are the coach's at that school, not the coach's whole time.
    at_school = api(platform, leader, "/reports/time-use", school_id=school, coach_id=coach)
    whole = api(platform, leader, "/reports/time-use", coach_id=coach)
    [here], [everywhere] = rows(at_school, "coach"), rows(whole, "coach")
    assert here["minutes"] < everywhere["minutes"]
    assert at_school["scope"] == {"level": "coach_school", "key": f"{coach}/{school}",
                                  "name": coach_name,
                                  "school_name": demo.school_label(school_code)}
    assert page.locator('#time-by-category [data-headline="coaching_share"]').inner_text() == (
        percent(here["coaching_share"]))
    assert f"of {hours(here['minutes'])} hours" in headline(page, "time-by-category")
    for month in rows(at_school, "month"):
        assert cell(page, "time-by-category", month["key"], "hours") == hours(month["minutes"])
    assert_accessible(page, "a coach at one school")
    shot(page, screenshots, "names-leader-coach-at-school")

    show(page, "#/alignment")
    plan = api(platform, leader, "/reports/plan-alignment")
    for flag in (r for r in plan["rows"] if r["level"] == "flag_no_agreement"):
        row = page.locator(f'#agreements-to-attend tr[data-key="{flag["key"]}"]')
        assert row.locator('[data-column="coach"]').inner_text() == flag["name"]
        assert row.locator('[data-column="school"]').inner_text() == flag["school_name"]
    assert_accessible(page, "leader alignment")

    show(page, "#/council")
    bars_agree_with_their_figures(page)
    assert_accessible(page, "the council")

    show(page, "#/trends")
    assert page.locator("#trends svg.chart line.target").count() == 1
    assert "target 40.0%" in page.locator("#trends svg.chart").inner_html()
    assert_accessible(page, "leader trends")
    shot(page, screenshots, "names-leader-trends")


def test_a_share_is_coloured_as_its_figure_reads(
        platform: Platform, demo: District, page: Page) -> None:
    sign_in(page, platform, token(demo.id(demo.leader), "district_leader"))
    drawn = page.evaluate("""async () => {
        const { sharesAgainstTarget } = await import('/dashboard/js/charts.js');
        const svg = sharesAgainstTarget([{ label: 'North', share: 0.3996 },
          { label: 'South', share: 0.4003 }, { label: 'East', share: 0.3949 }],
          { description: 'test', target: 0.4 });
        const shown = svg.querySelectorAll('text.value');
        const line = svg.querySelector('line.target');
        return [...svg.querySelectorAll('rect.bar')].map((r, i) => [shown[i].textContent,
          r.classList.contains('below'),
          // drawn after the target line: over it, so a share beside it stays readable
          !!(line.compareDocumentPosition(shown[i]) & Node.DOCUMENT_POSITION_FOLLOWING)]);
    }""")
    assert drawn == [["40.0%", False, True], ["40.0%", False, True], ["39.5%", True, True]]


def phone_problems(page: Page) -> dict[str, Any]:
    """Chart labels drawn outside their chart, and tables wider than their place that do not
    say they scroll."""
    return page.evaluate("""() => ({
        clipped: [...document.querySelectorAll('svg.chart')].flatMap(svg => {
            const box = svg.viewBox.baseVal;
            return [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBBox()])
                .filter(([, b]) => b.x < 0 || b.x + b.width > box.width + 0.5)
                .map(([text]) => text);
        }),
        silent: [...document.querySelectorAll('.table-wrap')]
            .filter(w => w.scrollWidth > w.clientWidth + 1)
            .filter(w => !w.classList.contains('scrolls')
                    || getComputedStyle(w.querySelector('.scroll-hint')).display === 'none')
            .map(w => w.getAttribute('aria-label')),
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    })""")


@pytest.mark.parametrize(("role", "views"), [
    ("district_leader", ["#/time-use", "#/alignment", "#/trends", "#/cycles", "#/council"]),
    ("clt_rep", ["#/time-use", "#/alignment", "#/trends", "#/cycles", "#/council"]),
])
def test_at_phone_width_no_label_is_cut_and_tables_say_they_scroll(
        platform: Platform, demo: District, phone: Page, screenshots: Path, role: str,
        views: list[str]) -> None:
    person = {"district_leader": demo.leader,
              "clt_rep": demo.representative_of[demo.regions[0]]}[role]
    sign_in(phone, platform, token(demo.id(person), role))
    for view in views:
        show(phone, view)
        assert phone.locator("#error").inner_text() == ""
        phone.wait_for_function(  # the tables' size observers have run
            "() => [...document.querySelectorAll('.table-wrap')].every(w =>"
            " (w.scrollWidth > w.clientWidth + 1) === w.classList.contains('scrolls'))")
        assert phone_problems(phone) == {"clipped": [], "silent": [], "overflow": 0}, view
        assert_accessible(phone, f"{role} {view} on a phone")
        shot(phone, screenshots, f"names-phone-{role}-{view.strip('#/')}")
