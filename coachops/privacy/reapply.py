"""Erase again, after a restore, everyone the district has forgotten.

    python -m coachops.privacy.reapply            # every service, from every register

A backup taken before a person was forgotten holds their keys. Each service keeps its own
register of the people it forgot (``erased_people``), so once a database is restored, the
registers of the others still name them: this asks every service for its register and
each service to erase everyone in the union (``erase_person``, which changes nothing for
someone already erased there). Run it after every restore, with the services running.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from nameko.standalone.rpc import ClusterRpcProxy

from coachops import cli, settings
from coachops.privacy.keys import SERVICES


def reapply(cluster: Any, say: Callable[[str], None]) -> dict[str, int]:
    """The keys each service destroyed now (zero where nothing had come back)."""
    forgotten: list[str] = []
    for service in SERVICES:
        for person in getattr(cluster, service).erased_people():
            if person not in forgotten:
                forgotten.append(person)
    say(f"{len(forgotten)} people in the services' erasure registers")
    destroyed = dict.fromkeys(SERVICES, 0)
    for number, person in enumerate(forgotten, start=1):
        for service in SERVICES:
            destroyed[service] += getattr(cluster, service).erase_person(person)
        say(f"erased {number}/{len(forgotten)}")
    for service, count in destroyed.items():
        say(f"{service}: {count} keys destroyed that a restore had brought back")
    return destroyed


def main(argv: list[str] | None = None) -> int:
    configured = settings.start()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=configured.amqp_uri)
    args = parser.parse_args(argv)
    with ClusterRpcProxy({"AMQP_URI": args.amqp_uri}, timeout=60) as cluster:
        reapply(cluster, lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    cli.run(main)
