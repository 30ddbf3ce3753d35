"""The coach offline (``context.set_offline(True)``): time logged and a cycle proposed, a
half-typed entry, the tab reloaded while still offline (the service worker opens the app,
the outbox and the typing are still there), then online again with the first answer lost
on its way back, so everything is sent twice: every item arrives exactly once (checked
through the API), and the one the server refuses (an entry overlapping another) is shown
with its reason, fixed on Today and sent again. A teacher accepting a proposal and a
principal co-signing an agreement offline, the same way: each arrives once (counted in
its service's store)."""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg2
import pytest
import requests
from playwright.sync_api import BrowserContext, Page, Route, expect
from psycopg2 import sql

from tests.e2e.app.conftest import checked, loaded, log, open_app, propose, settled, view
from tests.support.auth import bearer
from tests.support.people import NamedSchool
from tests.support.platform import Platform, database_name

pytestmark = pytest.mark.e2e


def test_offline_then_back_online(platform: Platform, people: NamedSchool,
                                  contexts: Callable[[bool], BrowserContext]) -> None:
    context = contexts(True)
    page = context.new_page()
    open_app(page, platform, people.coach.id, "coach")
    page.evaluate("() => navigator.serviceWorker.ready")  # the app shell is kept
    view(page, "Cycles")  # read once, so it opens offline
    view(page, "Today")

    context.set_offline(True)
    log(page, "Co-planning (coaching)", "09:00", "10:00")
    log(page, "Modelling (coaching)", "10:00", "10:30")
    log(page, "Duties (bus, lunch, recess) (other)", "09:30", "09:45")  # overlaps: refused
    propose(page, people.teacher.name, "literacy", "Every student reads aloud weekly",
            "Reading log", "2027-04-01")
    expect(page.locator("#network")).to_contain_text("4 waiting to send")
    view(page, "Today")
    page.get_by_label("Minutes").fill("25")  # typed, not sent yet
    page.get_by_label("or focus area").fill("literacy")

    page.reload()  # still offline: the service worker opens the app
    loaded(page)
    expect(page.locator("#status")).to_contain_text("Offline")
    expect(page.locator("#network")).to_contain_text("4 waiting to send")
    expect(page.get_by_label("Minutes")).to_have_value("25")
    expect(page.get_by_label("or focus area")).to_have_value("literacy")
    checked(page, "coach-offline-phone")

    # Back online, and the first batch's answer is lost on the way back: the server applied
    # it, the app does not know, and sends it all again.
    online_with_the_first_answer_lost(page, context)
    expect(page.locator("#network")).to_contain_text("4 waiting to send")
    view(page, "Outbox")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("#network")).to_contain_text("1 refused", timeout=20_000)
    expect(page.locator("#network")).not_to_contain_text("waiting")
    loaded(page)
    refused = page.locator("#refused li")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Duties")
    expect(refused).to_contain_text("Refused: ")
    expect(refused).to_contain_text("overlap")
    checked(page, "coach-outbox-refused-phone")

    headers = bearer(people.coach.id, "coach")
    day = requests.get(f"{platform.url}/me", headers=headers, timeout=30).json()["today"]
    entries = requests.get(f"{platform.url}/coaches/{people.coach.id}/time/days/{day}",
                           headers=headers, timeout=30).json()["entries"]
    assert sorted((e["category_id"], e["start"], e["end"]) for e in entries) == [
        ("co-planning", "09:00", "10:00"), ("modelling", "10:00", "10:30")]
    caseload = requests.get(f"{platform.url}/coaches/{people.coach.id}/caseload",
                            headers=headers, timeout=30).json()
    assert [c["goal"]["what"] for c in caseload["proposed"]] == [
        "Every student reads aloud weekly"]

    # Sent again (as after a lost answer): nothing arrives twice. Then the refused one
    # fixed to a free hour, and sent.
    page.get_by_role("button", name="Send now").click()
    refused.get_by_role("button", name="Fix it on Today").click()
    loaded(page)
    expect(page.get_by_label("or start")).to_have_value("09:30")
    page.get_by_label("or start").fill("11:00")
    page.get_by_label("and end").fill("11:15")
    page.get_by_role("button", name="Log time").click()
    settled(page)
    view(page, "Outbox")
    expect(page.locator("#refused")).to_contain_text("Nothing was refused.")
    entries = requests.get(f"{platform.url}/coaches/{people.coach.id}/time/days/{day}",
                           headers=headers, timeout=30).json()["entries"]
    assert sorted((e["category_id"], e["start"]) for e in entries) == [
        ("co-planning", "09:00"), ("duties", "11:00"), ("modelling", "10:00")]


def stored(service: str, aggregate_id: str, event: str) -> int:
    """How many ``event``s of the aggregate its service stored (read from its database)."""
    name = database_name(service)
    connection = psycopg2.connect(f"postgresql://{name}@127.0.0.1:5432/{name}")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("SELECT count(*) FROM {} WHERE originator_id = %s"
                                   " AND topic LIKE %s").format(
                sql.Identifier(f"{service}_events")), (aggregate_id, f"%.{event}"))
            return int(cursor.fetchone()[0])
    finally:
        connection.close()


def online_with_the_first_answer_lost(page: Page, context: BrowserContext) -> None:
    """Online again, and the app sends its outbox; that first batch's answer is lost on
    its way back (the server applied it, the app does not know)."""
    lost: list[str] = []

    def answer_lost(route: Route) -> None:
        route.fetch()
        lost.append(route.request.url)
        route.abort()

    page.route("**/sync", answer_lost, times=1)
    context.set_offline(False)
    for _ in range(100):  # Playwright runs the handler while the page is waited on
        if lost:
            break
        page.wait_for_timeout(200)
    assert lost, "the app never sent its outbox when back online"


def back_online_with_the_answer_lost(page: Page, context: BrowserContext) -> None:
    """Online again, the first batch's answer lost on its way back: the app sends it again
    from the Outbox."""
    online_with_the_first_answer_lost(page, context)
    expect(page.locator("#network")).to_contain_text("1 waiting to send")
    view(page, "Outbox")
    with page.expect_response("**/sync") as sent_again:
        page.get_by_role("button", name="Send now").click()
    # The server knew it by its client id: applied the first time, not again.
    assert [r["outcome"] for r in sent_again.value.json()["results"]] == ["duplicate"]
    settled(page)
    expect(page.locator("#refused")).to_contain_text("Nothing was refused.")


def test_a_teacher_and_a_principal_answer_offline(
        platform: Platform, people: NamedSchool,
        contexts: Callable[[bool], BrowserContext]) -> None:
    """A teacher accepts a proposal and a principal co-signs the coaching agreement, each
    offline; each closes the tab and opens it again still offline (the answer waits on
    the device), then is back online with the first answer lost: each arrives once."""
    coach = bearer(people.coach.id, "coach")
    goal = {"what": "Every student reads aloud weekly", "measure": "Reading log",
            "by": "2027-04-01"}
    cycle_id = requests.post(f"{platform.url}/cycles", headers=coach, timeout=30, json={
        "coach_id": people.coach.id, "teacher_ids": [people.teacher.id],
        "school_id": people.id, "focus_area_ids": ["literacy"], "goal": goal}).json()[
        "cycle_id"]
    year = requests.get(f"{platform.url}/me", headers=coach, timeout=30).json()["school_year"]
    drafted = requests.post(f"{platform.url}/coaching-agreements", headers=coach, timeout=30,
                            json={"school_id": people.id, "school_year": year,
                                  "focus_areas": [{"id": "literacy", "label": "Literacy"}],
                                  "coach_role": "Co-plan reading lessons",
                                  "not_coach_role": "Covering classes"})
    assert drafted.status_code == 201, drafted.text
    agreement_id = drafted.json()["agreement_id"]
    signed = requests.post(f"{platform.url}/coaching-agreements/{agreement_id}/sign",
                           headers=coach, timeout=30, json={"version": 1})
    assert signed.status_code == 200, signed.text

    # The teacher, on a phone: the proposal read once online, answered offline.
    context = contexts(True)
    teacher = context.new_page()
    open_app(teacher, platform, people.teacher.id, "teacher")
    teacher.evaluate("() => navigator.serviceWorker.ready")
    teacher.locator("#awaiting").get_by_role("link").click()
    # Read before the network goes: the proposal's page, shown (kept for offline).
    expect(teacher.get_by_role("button", name="Accept")).to_be_visible(timeout=20_000)
    loaded(teacher)
    context.set_offline(True)
    teacher.get_by_role("button", name="Accept").click()
    expect(teacher.locator("#network")).to_contain_text("1 waiting to send")
    expect(teacher.locator("#answer")).to_contain_text("Your answer waits to be sent.")
    teacher.reload()  # the tab closed and opened again, still offline
    loaded(teacher)
    expect(teacher.locator("#network")).to_contain_text("1 waiting to send")
    expect(teacher.locator("#cycle-outbox")).to_contain_text("Accepted the cycle")
    checked(teacher, "teacher-offline-phone")
    back_online_with_the_answer_lost(teacher, context)
    checked(teacher, "teacher-outbox-sent-phone")
    assert stored("cycles", cycle_id, "Accepted") == 1
    status = requests.get(f"{platform.url}/cycles/{cycle_id}", timeout=30,
                          headers=bearer(people.teacher.id, "teacher")).json()["status"]
    assert status == "active"

    # The principal, on a phone: the agreement read once online, signed offline.
    context = contexts(True)
    principal = context.new_page()
    open_app(principal, platform, people.principal.id, "principal")
    principal.evaluate("() => navigator.serviceWorker.ready")
    view(principal, "Agreements")
    expect(principal.get_by_role("button", name="Sign version 1")).to_be_visible(
        timeout=20_000)  # read before the network goes
    loaded(principal)
    context.set_offline(True)
    principal.get_by_role("button", name="Sign version 1").click()
    expect(principal.locator("#network")).to_contain_text("1 waiting to send")
    card = principal.locator(f"#agreement-{agreement_id}")
    expect(card).to_contain_text("Signed version 1")
    expect(card).to_contain_text("waiting to send")
    expect(card.get_by_role("button", name="Sign version 1")).to_have_count(0)
    principal.reload()
    loaded(principal)
    expect(principal.locator("#network")).to_contain_text("1 waiting to send")
    checked(principal, "principal-offline-phone")
    back_online_with_the_answer_lost(principal, context)
    view(principal, "Agreements")
    expect(principal.locator("[data-version='1']")).to_contain_text("Version 1 (in force)")
    checked(principal, "principal-agreement-signed-phone")
    assert stored("agreements", agreement_id, "Signed") == 2  # the coach's, the principal's


def test_a_coach_s_cycle_work_offline(platform: Platform, people: NamedSchool,
                                      contexts: Callable[[bool], BrowserContext]) -> None:
    """In a cycle read once online, the coach cancels a calendar item, drops a next step,
    revises the goal and closes the cycle offline; back online, all of it arrives."""
    coach = bearer(people.coach.id, "coach")
    teacher = bearer(people.teacher.id, "teacher")

    def ok(response: requests.Response) -> dict[str, str]:
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    cycle_id = ok(requests.post(f"{platform.url}/cycles", headers=coach, timeout=30, json={
        "coach_id": people.coach.id, "teacher_ids": [people.teacher.id],
        "school_id": people.id, "focus_area_ids": ["literacy"],
        "goal": {"what": "Every student reads aloud weekly", "measure": "Reading log",
                 "by": "2027-04-01"}}))["cycle_id"]
    ok(requests.post(f"{platform.url}/cycles/{cycle_id}/accept", headers=teacher, timeout=30))
    ok(requests.post(f"{platform.url}/cycles/{cycle_id}/calendar", headers=coach, timeout=30,
                     json={"kind": "observation", "starts_at": "2027-01-12T09:30",
                           "minutes": 45}))
    ok(requests.post(f"{platform.url}/cycles/{cycle_id}/next-steps", headers=coach,
                     timeout=30, json={"text": "Share the reading log", "due_on": "2027-01-15",
                                       "owner_id": people.teacher.id}))

    context = contexts(False)
    page = context.new_page()
    open_app(page, platform, people.coach.id, "coach")
    page.evaluate("() => navigator.serviceWorker.ready")
    page.goto(f"{platform.url}/app/#/cycle/{cycle_id}")
    cancel = page.get_by_role("button", name=re.compile(r"^Cancel: observation 2027-01-12"))
    expect(cancel).to_be_visible(timeout=20_000)  # read before the network goes
    loaded(page)
    context.set_offline(True)
    cancel.click()
    expect(page.locator("#network")).to_contain_text("1 waiting to send")
    page.get_by_role("button", name="Drop: Share the reading log").click()
    expect(page.locator("#network")).to_contain_text("2 waiting to send")
    page.get_by_text("Revise the goal").click()
    page.get_by_label("Goal: what will change").fill("Every student reads aloud twice a week")
    page.get_by_label("How it is measured").fill("Reading log")
    page.get_by_label("By", exact=True).fill("2027-05-01")
    page.get_by_role("button", name="Save the goal").click()
    expect(page.locator("#network")).to_contain_text("3 waiting to send")
    page.get_by_label("Evidence", exact=True).fill("Reading logs filled weekly")
    page.get_by_role("button", name="Close the cycle").click()
    expect(page.locator("#network")).to_contain_text("4 waiting to send")
    expect(page.locator("#cycle-outbox")).to_contain_text("Goal revised")
    checked(page, "coach-cycle-offline-desktop")

    context.set_offline(False)
    settled(page)
    expect(page.locator("#cycle")).to_contain_text("closed")
    cycle = requests.get(f"{platform.url}/cycles/{cycle_id}", headers=coach,
                         timeout=30).json()
    assert cycle["status"] == "closed"
    assert cycle["goal"]["what"] == "Every student reads aloud twice a week"
    assert [i["status"] for i in cycle["calendar"]] == ["cancelled"]
    assert [s["status"] for s in cycle["next_steps"]["steps"]] == ["dropped"]
    checked(page, "coach-cycle-synced-desktop")
