"""Issue #23's levers 2 and 5 in CPU time per event, before and after in one run,
interleaved (a round of each in turn, medians of the rounds), so the other work on a shared
machine weighs on both alike:

- decode: a consumer reading an envelope as the relay publishes it (``TimeEntryRecorded``,
  the bulk of the bus) with the marshmallow contract alone (before) and with
  ``coachops.contracts.decode`` (msgspec, marshmallow for anything else; after);
- keep: reporting's JSON of a payload for ``received_events.payload``: marshmallow's
  ``encode`` then ``json.dumps`` (before), ``json_payload`` then msgspec (after);
- relay (``--database-url``, a scratch PostgreSQL database, emptied): time tracking's store
  after ``--items`` offline-batch items (as bench/batch_work.py sends them; three stored
  events each, one published), read and translated as ``relay_once`` does, every page
  of notifications (before) or only the translated topics (after); per published event.

    .venv/bin/python -m bench.wire --events 2000 --rounds 9 --database-url postgresql://...
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from bench.baselines import sample_events  # noqa: E402
from coachops import cli, settings  # noqa: E402
from coachops.bus.relay import to_envelopes, translated_topics  # noqa: E402
from coachops.contracts import decode, encode, envelope, json_payload, wire  # noqa: E402
from services.timetracking.integration import to_integration  # noqa: E402

Work = Callable[[], int]  # does the work once; returns the events it stands for


def cpu_us_per_event(work: Work) -> float:
    started = time.process_time()
    events = work()
    return (time.process_time() - started) * 1e6 / events


def interleaved(before: Work, after: Work, rounds: int) -> tuple[float, float]:
    """Medians of ``rounds`` rounds of each, alternating which goes first."""
    times: dict[str, list[float]] = {"before": [], "after": []}
    for n in range(rounds):
        order = [("before", before), ("after", after)]
        for name, work in order if n % 2 == 0 else reversed(order):
            times[name].append(cpu_us_per_event(work))
    return statistics.median(times["before"]), statistics.median(times["after"])


def report(name: str, before: float, after: float) -> None:
    print(f"{name:8} before {before:8.1f} us/event  after {after:8.1f} us/event"
          f"  after/before {after / before:.3f}x  ({before / after:.1f} times as fast)")


def relay_work(database_url: str, items: int) -> tuple[Work, Work, dict[str, int]]:
    from nameko.testing.services import worker_factory

    from bench.batch_work import application  # its own store, emptied
    from bench.batch_work import items as batch_items
    from services.timetracking.service import TimeTrackingService

    app = application(database_url)
    service = worker_factory(TimeTrackingService, timetracking=app)
    actor = {"id": "00000000-0000-0000-0000-000000000001", "role": "coach"}
    days_back = 0
    for start in range(0, items, 500):
        size = min(500, items - start)
        service.sync(actor, batch_items(size, days_back))
        days_back += size // 12 + 2
    recorder, topics = app.recorder, translated_topics(to_integration)
    last = recorder.max_notification_id() or 0

    def read(filter_topics: tuple[str, ...]) -> int:
        position, published = 0, 0
        while True:
            end = (recorder.max_notification_id() or 0) if filter_topics else 0
            page = recorder.select_notifications(start=position, limit=500,
                                                 topics=filter_topics, inclusive_of_start=False)
            if not page:
                break
            envelopes, _ = to_envelopes("timetracking", app, to_integration, page, None)
            published += len([encode(e) for e in envelopes])
            position = page[-1].id if len(page) == 500 else max(page[-1].id, end)
        return published

    counts = {"notifications": last, "published": read(topics)}
    return (lambda: read(())), (lambda: read(topics)), counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wire", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="envelopes decoded a round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--items", type=int, default=3000, help="batch items in the store")
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (emptied)")
    args = parser.parse_args(argv)
    settings.start()
    bodies = [e.body for e in sample_events(args.events)]
    events = [decode(b) for b in bodies]
    assert all(wire.decode_fast(b) == e for b, e in zip(bodies, events, strict=True))

    def decode_all(read: Callable[[Any], Any]) -> Work:
        return lambda: len([read(b) for b in bodies])

    report("decode", *interleaved(decode_all(envelope.decode), decode_all(decode), args.rounds))
    report("keep", *interleaved(
        lambda: len([json.dumps(encode(e)["payload"]) for e in events]),
        lambda: len([wire.to_json(json_payload(e)) for e in events]), args.rounds))
    if args.database_url:
        before, after, counts = relay_work(args.database_url, args.items)
        print(f"relay: {counts['notifications']} notifications stored, "
              f"{counts['published']} published")
        report("relay", *interleaved(before, after, args.rounds))
    return 0


if __name__ == "__main__":
    cli.run(main)
