"""One side of the upgrade test, run as a script with a release's tree first on the path:
``old`` starts that release's platform on fresh databases, loads the small demo district
through the gateway and stops; ``new`` starts the platform on the same databases and vhost
(no reset) and, with ``--write``, records a time entry too. Each writes what every report
answers and how many rows each table holds to the JSON file given. Only modules both
releases have are used."""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg2
from kombu import Connection
from kombu.exceptions import ChannelError

from coachops import clock
from coachops.identity import Role
from deploy.demo import Gateway, load_demo_district
from deploy.demo_district import SMALL
from tests.support.platform import (
    DATABASES,
    database_url,
    platform_for_tests,
    reset_databases,
    reset_vhost,
)

RPC_SERVICES = ("agreements", "cycles", "timetracking", "reporting")
REPORTS = ("time-use", "plan-alignment", "cycle-activity", "council")


def counts(namespace: str) -> dict[str, int]:
    """Rows per table of every database, schema_migrations aside (the upgrade adds it)."""
    found = {}
    for service in DATABASES:
        conn = psycopg2.connect(database_url(service, namespace))
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                               " AND tablename <> 'schema_migrations' ORDER BY tablename")
                for (table,) in cursor.fetchall():
                    cursor.execute(f'SELECT count(*) FROM "{table}"')
                    found[f"{service}.{table}"] = cursor.fetchone()[0]
        finally:
            conn.close()
    return found


def wait_for_rpc_queues(amqp_uri: str, timeout: float = 120) -> None:
    """Until every service has declared its RPC queue, a call to it is UnknownService; the
    old release's loader is not safe to run twice, so wait before it rather than retry it."""
    deadline = time.monotonic() + timeout
    with Connection(amqp_uri) as connection:
        for service in RPC_SERVICES:
            while True:
                try:
                    connection.channel().queue_declare(f"rpc-{service}", passive=True)
                    break
                except ChannelError:  # 404: not declared yet (the channel is closed by it)
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{service} never declared its RPC queue") from None
                    time.sleep(0.5)


def main(side: str, namespace: str, log_dir: str, out: str, port: int, write: bool) -> None:
    if side == "old":
        reset_vhost(namespace)
        reset_databases(namespace)
    # A port of its own: the test session's platform may be listening on GATEWAY_PORT, and
    # eventlet binds with SO_REUSEPORT, so both gateways would take requests in turn.
    platform = platform_for_tests(Path(log_dir), namespace, port)
    platform.start()
    try:
        gateway = f"http://127.0.0.1:{port}"
        gw = Gateway(gateway)
        amqp_uri = platform["reporting"].env["AMQP_URI"]
        wait_for_rpc_queues(amqp_uri)
        district = load_demo_district(gateway, size=SMALL, quiet=True, amqp_uri=amqp_uri)
        leader = district.id(district.leader)
        query = f"?school_year={district.school_year}"
        answers = {}
        for report in REPORTS:
            response = gw.call("GET", f"/reports/{report}{query}", leader,
                               Role.DISTRICT_LEADER, ok=(200, 400, 404))
            answers[report] = [response.status_code, response.json()]
        written = None
        if write:
            coach = next(iter(district.coach_schools))
            coach_id = district.id(coach)
            day = clock.today() - timedelta(days=1)
            body = {"entry_id": str(uuid.uuid4()), "coach_id": coach_id,
                    "school_id": district.id(district.coach_schools[coach][0]),
                    "worked_on": day.isoformat(), "start": "05:00", "end": "05:30",
                    "category_id": "coaching-cycle"}
            written = gw.call("POST", "/time-entries", coach_id, Role.COACH, body).status_code
    finally:
        platform.stop()
    exits = {p.name: p.process.returncode for p in platform.processes.values() if p.process}
    Path(out).write_text(json.dumps({"reports": answers, "counts": counts(namespace),
                                     "written": written, "exits": exits}, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
         "--write" in sys.argv)
