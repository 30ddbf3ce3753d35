"""A message nobody can read goes to the dead-letter queue with the reason; the consumer
goes on and the next good message is still processed."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import date

import pytest
from kombu import Connection

from coachops.bus.topology import dead_letter_queue
from tests.e2e.test_slice import active_cycles
from tests.support.bus import AMQP, envelope, publish
from tests.support.platform import Platform, wait_until

pytestmark = pytest.mark.e2e


def good_event(school_id: uuid.UUID) -> dict[str, object]:
    return envelope("cycles", "CycleStarted", {
        "cycle_id": uuid.uuid4(), "coach_id": uuid.uuid4(), "teacher_ids": [uuid.uuid4()],
        "school_id": school_id, "focus_area_ids": ["2b"], "phase": "plan",
        "started_on": date.today()})


def test_poison_messages_are_parked_with_a_reason_and_the_next_is_processed(
    platform: Platform,
) -> None:
    school_id = uuid.uuid4()
    unknown_version = {**good_event(school_id), "version": 99}
    bad_payload = good_event(school_id)
    bad_payload["payload"] = {**bad_payload["payload"], "notes": "what the teacher said"}

    with Connection(AMQP) as connection:
        parked = dead_letter_queue()(connection.channel())
        parked.declare()
        parked.purge()
        raw = {"content_type": "application/json", "content_encoding": "utf-8",
               "serializer": None}
        publish("cycles", "CycleStarted", b"{not json", json.dumps({"hello": "world"}), **raw)
        publish("cycles", "CycleStarted", unknown_version, bad_payload, good_event(school_id))

        wait_until(lambda: active_cycles(platform, str(school_id)) == 1, timeout=15,
                   what="the good event after the poison ones")
        reasons = []
        for _ in range(4):
            # Read raw: one parked body is deliberately not JSON.
            message = wait_until(lambda: parked.get(no_ack=False, accept=["application/json"]),
                                 timeout=10, what="a parked message")
            reasons.append(message.headers["x-reason"])
            assert message.headers["x-consumer"] == "reporting.on_cycle_started"
            message.ack()

    assert any(r.startswith("undecodable message") for r in reasons), reasons
    assert any(r.startswith("bad envelope") for r in reasons), reasons
    assert "unknown version 99 of CycleStarted (known: [1])" in reasons
    assert any("notes" in r and "Unknown field" in r for r in reasons), reasons


def test_replay_after_a_fix_sends_parked_messages_back_and_keeps_the_rest(
    platform: Platform,
) -> None:
    school_id = uuid.uuid4()
    with Connection(AMQP) as connection:
        parked = dead_letter_queue()(connection.channel())
        parked.declare()
        parked.purge()
        producer = connection.Producer()
        # As parked while the reporting handler had a bug: a good event, and one of
        # another consumer that must stay parked.
        for consumer, body in (("reporting.on_cycle_started", good_event(school_id)),
                               ("timetracking.on_calendar_item_done", b"{not json")):
            encoding = ({"serializer": "json"} if isinstance(body, dict) else
                        {"content_type": "application/json", "content_encoding": "utf-8"})
            producer.publish(
                body, exchange=dead_letter_queue().exchange, routing_key=consumer, **encoding,
                headers={"x-reason": "handler failed: a bug since fixed",
                         "x-consumer": consumer, "x-original-exchange": "cycles.events",
                         "x-original-routing-key": "CycleStarted"},
            )
    assert active_cycles(platform, str(school_id)) == 0

    result = subprocess.run(
        [sys.executable, "-m", "coachops.bus.dead_letters", "replay", "--amqp-uri", AMQP,
         "--consumer", "reporting.on_cycle_started"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert "replayed 1 parked messages; 1 left parked" in result.stdout
    wait_until(lambda: active_cycles(platform, str(school_id)) == 1, timeout=15,
               what="the replayed event in reporting")
    listed = subprocess.run(
        [sys.executable, "-m", "coachops.bus.dead_letters", "list", "--amqp-uri", AMQP],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert "timetracking.on_calendar_item_done" in listed.stdout
    assert "1 parked messages" in listed.stdout
