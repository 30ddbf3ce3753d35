"""Fixtures shared by the integration and end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.platform import Platform, platform_for_tests, reset_databases, reset_vhost


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The gateway and every service as real ``nameko run`` processes, on a fresh RabbitMQ
    vhost and fresh databases; stopped cleanly (SIGTERM) at the end of the session."""
    reset_vhost()
    reset_databases()
    log_dir: Path = tmp_path_factory.mktemp("logs")
    running = platform_for_tests(log_dir)
    running.start()
    yield running
    running.stop()
    for process in running.processes.values():
        assert process.process is not None
        assert process.process.returncode == 0, (
            f"{process.name} did not stop cleanly; its log ends:\n{process.log()[-6000:]}")
