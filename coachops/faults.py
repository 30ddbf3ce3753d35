"""Named fault points, for crash tests only.

``COACHOPS_FAULT=relay.before_publish`` makes the process SIGKILL itself the first time
it reaches that point: a crash between a commit and a publish, on demand. Unset in
production, every point is a no-op.
"""

from __future__ import annotations

import logging
import os
import signal

from coachops import settings

log = logging.getLogger(__name__)


def point(name: str) -> None:
    if settings.current().fault == name:
        log.warning("fault point %s reached: killing this process (SIGKILL)", name)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
