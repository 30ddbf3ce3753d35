"""A subscription to the notification log that is woken by PostgreSQL's LISTEN/NOTIFY and
works under eventlet, where the library's own does not."""

from __future__ import annotations

import select
import threading
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from eventsourcing.persistence import (
    ListenNotifySubscription,
    Notification,
    ShutDown,
    Subscription,
)
from psycopg2 import sql

from coachops.store.database import translate_errors

if TYPE_CHECKING:  # the recorder's module makes these subscriptions: no import cycle
    from coachops.store.notifications import PostgresApplicationRecorder

_V = TypeVar("_V")


class _ShutdownQueue(Generic[_V]):
    """The part of Python 3.13's ``queue.Queue`` (with ``shutdown()``) that the library's
    subscription uses, on ``threading.Condition``.

    The library backports shutdown() for Python < 3.13 by subclassing ``queue.Queue`` and
    using its internals (``mutex``, ``not_empty``); after ``eventlet.monkey_patch()``,
    ``queue.Queue`` is eventlet's, which has none of them, so every put() fails.
    """

    def __init__(self, maxsize: int) -> None:
        self._items: deque[_V] = deque()
        self._maxsize = maxsize
        self._changed = threading.Condition()
        self._is_shutdown = False

    def put(self, item: _V) -> None:
        with self._changed:
            while not self._is_shutdown and len(self._items) >= self._maxsize:
                self._changed.wait()
            if self._is_shutdown:
                raise ShutDown
            self._items.append(item)
            self._changed.notify_all()

    def get(self) -> _V:
        with self._changed:
            while not self._items and not self._is_shutdown:
                self._changed.wait()
            if not self._items:
                raise ShutDown
            item = self._items.popleft()
            self._changed.notify_all()
            return item

    def task_done(self) -> None:
        """Nothing join()s this queue."""

    def shutdown(self, immediate: bool = False) -> None:
        with self._changed:
            self._is_shutdown = True
            if immediate:
                self._items.clear()
            self._changed.notify_all()



class PostgresSubscription(ListenNotifySubscription["PostgresApplicationRecorder"]):
    """Wakes the library's pull loop whenever an insert into the recorder's table commits.

    LISTEN holds its connection for the subscription's whole life, so it has its own,
    outside the pool. The wait is a short select() so stop() is noticed promptly; under
    eventlet, select and the threads are green.
    """

    POLL_SECONDS = 0.1

    def __init__(
        self,
        recorder: PostgresApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        # ListenNotifySubscription.__init__ is skipped because it starts its pull thread on
        # the library's queue, which fails under eventlet (see _ShutdownQueue). The same
        # attributes are set here (as of eventsourcing 9.5.6, which pyproject pins), with a
        # queue that works; the library's __next__, _loop_on_pull and _pull use them as is.
        Subscription.__init__(self, recorder=recorder, gt=gt, topics=topics)
        self._select_limit = 500
        self._notifications: Sequence[Notification] = []
        self._notifications_index = 0
        # The library types it as its own queue class; this one has the methods it calls.
        self._notifications_queue = _ShutdownQueue[Sequence[Notification]](  # type: ignore[assignment]
            maxsize=10)
        self._has_been_notified = threading.Event()
        self._thread_error: BaseException | None = None
        self._pull_thread = threading.Thread(target=self._loop_on_pull, daemon=True)
        self._listen_thread = threading.Thread(target=self._listen, daemon=True)
        self._pull_thread.start()
        self._listen_thread.start()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._listen_thread.join()

    def _listen(self) -> None:
        try:
            with translate_errors():
                conn = self._recorder.database._connect()
                try:
                    conn.autocommit = True
                    with conn.cursor() as cursor:
                        cursor.execute(
                            sql.SQL("LISTEN {}").format(sql.Identifier(self._recorder.channel_name))
                        )
                    # The pull thread's first read raced with LISTEN: anything committed in
                    # between sent no notification we could hear, so read once more.
                    self._has_been_notified.set()
                    while not self._has_been_stopped and self._thread_error is None:
                        readable, _, _ = select.select([conn], [], [], self.POLL_SECONDS)
                        if readable:
                            conn.poll()
                            if conn.notifies:
                                conn.notifies.clear()
                                self._has_been_notified.set()
                finally:
                    conn.close()
        except BaseException as error:
            if self._thread_error is None:
                self._thread_error = error
            self.stop()
