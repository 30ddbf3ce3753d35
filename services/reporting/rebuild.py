"""Rebuild the reporting read models.

    python -m services.reporting.rebuild                   # from the sources' notification logs
    python -m services.reporting.rebuild --from received   # from the events kept here

``--from sources`` (the default) asks every source service for everything it ever
published (``last_published_position`` and ``published_events`` over RPC), keeps it in a shadow
schema beside the live tables, derives every read model there, catches up with what the
live tables received meanwhile and swaps the shadow tables in, in one short transaction.
The live tables keep serving reports and consumers until the swap. Use it when the
reporting database itself is lost or suspect.

``--from received`` derives the read models again from ``received_events`` in one
transaction (reports read the old rows until it commits): the quick repair after a change
to how reports are derived, or after restoring a backup while the sources are down.

Both print progress and rate.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from nameko.standalone.rpc import ClusterRpcProxy

from coachops import cli, settings
from coachops.bus import parked
from coachops.bus.dead_letters import park_body
from coachops.bus.topology import event_exchange
from coachops.contracts import decode
from coachops.store import PostgresDatabase
from services.reporting import facts, received, replay

PAGE = 1000  # notifications asked of a source at a time (the most it answers)
REBUILD_CONSUMER = "reporting.rebuild"

Say = Callable[[str], None]


def from_received(database: PostgresDatabase, say: Say) -> int:
    with database.transaction() as cursor:
        # Tables of another version are made again and derived once, not twice.
        derived = replay.ensure_current(cursor, replay.Progress(say))
        return derived if derived is not None else replay.rebuild(cursor, replay.Progress(say))


def from_sources(database: PostgresDatabase, cluster: Any, say: Say, amqp_uri: str) -> int:
    with database.transaction() as cursor:
        replay.ensure_current(cursor)  # the live tables, for a database that lost them
        began = replay.create_shadow(cursor)
    started, fetched = time.monotonic(), 0
    for source, consumed in facts.CONSUMED.items():
        rpc = getattr(cluster, source)
        end = int(rpc.last_published_position())
        starts = range(1, end + 1, PAGE)
        # Each page is asked for before the one before it is kept: the source reads and
        # translates the next while this process stores the last.
        answer: Any = rpc.published_events.call_async(starts[0], PAGE) if starts else None
        for page, start in enumerate(starts):
            bodies = answer.result()
            if page + 1 < len(starts):
                answer = rpc.published_events.call_async(starts[page + 1], PAGE)
            events = [decode(body) for body in bodies]
            with database.transaction() as cursor:
                replay.use_shadow(cursor)
                refused = received.keep(cursor, [e for e in events if e.event_type in consumed])
            for event, reason in refused:
                park(database, amqp_uri, bodies[events.index(event)], reason)
                say(f"parked {source} {event.event_type} at {event.position}: {reason}")
            fetched += len(events)
            rate = fetched / max(time.monotonic() - started, 1e-6)
            say(f"fetched {source} {min(start + PAGE - 1, end)}/{end}"
                f" ({fetched} events, {rate:.0f} events/s)")
    with database.transaction() as cursor:
        replay.use_shadow(cursor)
        total = replay.derive_all(cursor, replay.Progress(say))
    with database.transaction() as cursor:
        late = replay.swap_in_shadow(cursor, began)
    say(f"swapped in the rebuilt tables ({late} events received during the rebuild"
        " caught up)")
    return total + late


def park(database: PostgresDatabase, amqp_uri: str, body: dict[str, Any], reason: str) -> None:
    """Park an event the rebuild could not keep, as the service parks one it fetched and
    could not apply: in the dead-letter queue, to replay once fixed, and in the live
    ``parked_events`` (the gap check counts it as received)."""
    event = parked.identify(body)
    if event is None:
        return
    with database.transaction() as cursor:
        parked.record(cursor, event, REBUILD_CONSUMER, reason)
    park_body(amqp_uri, json.dumps(body), REBUILD_CONSUMER, reason,
              event_exchange(event.source).name, event.event_type)


def main(argv: list[str] | None = None) -> int:
    configured = settings.start()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="origin", choices=("sources", "received"),
                        default="sources")
    parser.add_argument("--database-url",
                        default=configured.reporting_database_url)
    parser.add_argument("--amqp-uri", default=configured.amqp_uri)
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    database = PostgresDatabase(args.database_url, pool_size=1)
    began = time.monotonic()
    try:
        if args.origin == "received":
            total = from_received(database, say)
        else:
            with ClusterRpcProxy({"AMQP_URI": args.amqp_uri}, timeout=60) as cluster:
                total = from_sources(database, cluster, say, args.amqp_uri)
    finally:
        database.close()
    seconds = time.monotonic() - began
    print(f"rebuild complete: {total} events in {seconds:.1f} s"
          f" ({total / max(seconds, 1e-6):.0f} events/s)", flush=True)
    return 0


if __name__ == "__main__":
    cli.run(main)
