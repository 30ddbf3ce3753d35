"""What reporting's read model holds, for tests that wait on an event to arrive there."""

from __future__ import annotations

import psycopg2

from deploy.local import Platform


def active_cycles(platform: Platform, school_id: str) -> int:
    """The school's active cycles in reporting's read model. The route
    (``GET /schools/<id>/active-cycles``) answers this count suppressed when the school has
    few coached teachers (``services/reporting/suppression.py``), so it cannot tell a test
    that one cycle arrived."""
    connection = psycopg2.connect(platform["reporting"].env["REPORTING_DATABASE_URL"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cycle_facts WHERE school_id = %s"
                           " AND status = 'active'", (school_id,))
            return int(cursor.fetchone()[0])
    finally:
        connection.close()


def restart_reporting(platform: Platform, **env: str) -> None:
    """Reporting started again with these settings (none: as the platform started it)."""
    reporting = platform["reporting"]
    reporting.stop()
    reporting.start(**env)
    platform.wait_ready()
