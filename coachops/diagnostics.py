"""``kill -USR1 <pid>`` writes the stack of every green thread of a service to its log:
for district IT (and the tests) to see where a process that will not stop is waiting."""

from __future__ import annotations

import gc
import logging
import signal
import traceback
from types import FrameType

import greenlet

log = logging.getLogger(__name__)


def green_stacks() -> str:
    stacks = []
    for thread in gc.get_objects():
        if isinstance(thread, greenlet.greenlet) and thread.gr_frame is not None:
            stacks.append("".join(traceback.format_stack(thread.gr_frame)))
    return "\n".join(stacks)


def _dump(signum: int, frame: FrameType | None) -> None:
    current = "".join(traceback.format_stack(frame)) if frame else ""
    log.warning("green thread stacks (SIGUSR1):\n%s\n--- current:\n%s", green_stacks(), current)


def install_stack_dump() -> None:
    signal.signal(signal.SIGUSR1, _dump)
