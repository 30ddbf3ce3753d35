"""Losing the PostgreSQL primary does not stop a district: every database of the platform
(the services', the gateway's, reporting's) is on a primary with a synchronous standby of its
own (``tests/support/pg_cluster.py``: pg_auto_failover, a monitor and two nodes), reached by
a URL naming both nodes with ``target_session_attrs=read-write``. Under the fault suite's
load the primary is SIGKILLed, pg_auto_failover promotes the standby, and the old primary
comes back as the new one's standby. Every accepted command is stored once, reporting
equals a rebuild from the sources, and the time until a command was accepted again is
printed (measured, not asserted: speed belongs in bench/).

Nothing of the machine's PostgreSQL is used: the cluster has its own ports
(``COACHOPS_TEST_PG_CLUSTER_PORT``) and data directories (under ``TMPDIR``)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from coachops.store.admin import ensure_role_and_database
from tests.reliability import suite
from tests.support.pg_cluster import Cluster, running_cluster
from tests.support.platform import (
    DATABASES,
    NAMESPACE,
    Platform,
    database_name,
    free_port,
    platform_for_tests,
    reset_vhost,
)

HA_NAMESPACE = f"{NAMESPACE}pg"  # a vhost and databases apart from the session's platform


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # Not pytest's tmp_path: its directories are the test runner's own (0700), and the
    # nodes run as the postgres user.
    home = Path(tempfile.mkdtemp(prefix="coachops-pg-cluster-"))
    try:
        with running_cluster(home) as running:
            yield running
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def ha_platform(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[Platform]:
    reset_vhost(HA_NAMESPACE)
    platform = platform_for_tests(tmp_path_factory.mktemp("logs"), HA_NAMESPACE,
                                  gateway_port=free_port())
    for service in DATABASES:
        name = database_name(service, HA_NAMESPACE)
        ensure_role_and_database(cluster.admin_url(), name, name)
        platform.env[f"{service.upper()}_DATABASE_URL"] = cluster.url(name)
    platform.start()
    try:
        yield platform
    finally:
        platform.stop()


def test_losing_the_postgresql_primary_loses_and_doubles_nothing(cluster: Cluster,
                                                                 ha_platform: Platform) -> None:
    first = cluster.primary()
    killed_at: list[float] = []
    promoted_at: list[float] = []
    fault = suite.primary_lost(cluster, killed_at, promoted_at)
    result = suite.run(ha_platform, (fault,), commands=150)
    errors = {status: n for status, n in result.statuses.items() if status != "201"}
    print(f"\n{result.table()}\nanswers other than 201: {errors or 'none'}")
    (killed,), (promoted,) = killed_at, promoted_at
    again = result.accepted_again(killed)
    refused = [sent for sent, _, status in result.answers if status != "201" and sent >= killed]
    print(f"{fault.name}: standby promoted {promoted - killed:.1f}s after; a command sent "
          f"after the kill accepted {'never' if again is None else f'{again:.1f}s'} later; "
          f"last refused command sent "
          f"{(max(refused) - killed) if refused else 0.0:.1f}s after the kill")
    assert again is not None, "writes never came back after the failover"
    assert result.accepted, "commands must get through"
    assert result.duplicates == 0, result.table()
    assert result.lost == 0, result.table()
    assert result.reports_equal_rebuild, result.table()
    # The other node took over, and the lost one is its synchronous standby again.
    assert cluster.primary() is not first
    states = cluster.states()
    assert states[first.name][0] == "secondary", states
    standby = cluster.admin_url(first.port)
    with psycopg2.connect(standby) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
