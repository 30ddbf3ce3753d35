"""A token's role must be one the roster gives its person today.

A token says who and in which role; the roster (the agreements service) says which roles
that person holds on a date. The gateway asks it ``roles_on(person, day)`` once and keeps
the answer for the day. At most every ``GATEWAY_ROLES_SECONDS`` (5) it asks the roster, in
one question for everyone, whose roles may have changed since its last answer
(``roles_changed_since``) and forgets what it kept of them, so a change in the roster (an
assignment ended, a person forgotten) is seen within seconds. Asking every person's roles
again every few seconds was an RPC to the roster for most requests of a district's
coaches (bench/README.md, "Roles kept until the roster changes them").

When the roster does not answer, what is kept is not trusted beyond those seconds: the
request asks for its person's roles, and is a 503 to retry if that is not answered either,
never let through.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import date
from typing import Any, Protocol
from uuid import UUID

import eventlet
from eventlet.semaphore import Semaphore
from nameko.containers import WorkerContext
from nameko.exceptions import RpcTimeout, UnknownService
from werkzeug.exceptions import ServiceUnavailable

from coachops import clock, logs, settings
from coachops.errors import Forbidden
from coachops.identity import Actor, Role
from coachops.json import Json
from gateway.http import Backend

log = logging.getLogger(__name__)
ANSWER_SECONDS = 5.0
MOST_KEPT = 100_000  # a bound, not an eviction policy: past it, start over


class Roster(Protocol):
    """The two questions asked of the agreements service."""

    def roles_on(self, person_id: str, day: str | None = None) -> list[str]: ...

    def roles_changed_since(self, position: int | None = None) -> Json: ...


class KeptRoles:
    """Each person's roles on a day as the roster answered, until it says they may have
    changed. Every question (``roles_of``) first asks the roster what changed, when that
    was last answered over ``seconds`` ago."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.known: dict[UUID, tuple[date, frozenset[Role]]] = {}
        self.position: int | None = None  # in the roster's log: what is kept is as of it
        self.checked = -math.inf  # time.monotonic() of the roster's last answer
        self.answers = 0  # of what changed: an answer to roles_on asked before one may be stale
        self.checking = Semaphore()  # green: one worker asks, the others wait for its answer

    def roles_of(self, person: UUID, today: date, roster: Roster) -> frozenset[Role]:
        if self.seconds <= 0:  # kept for no time: asked every time
            return frozenset(Role(r) for r in roster.roles_on(str(person), today.isoformat()))
        self._forget_changed(roster)
        kept = self.known.get(person)
        if kept is not None and kept[0] == today:
            return kept[1]
        answers = self.answers
        roles = frozenset(Role(r) for r in roster.roles_on(str(person), today.isoformat()))
        # Kept only if no answer of what changed came meanwhile (it may have named this
        # person after the roster answered), and while what is kept is vouched for.
        if answers == self.answers and time.monotonic() - self.checked < self.seconds:
            if len(self.known) >= MOST_KEPT:
                self.known.clear()
            self.known[person] = (today, roles)
        return roles

    def _forget_changed(self, roster: Roster) -> None:
        if time.monotonic() - self.checked < self.seconds:
            return
        with self.checking:
            if time.monotonic() - self.checked < self.seconds:
                return  # another worker asked while this one waited
            asked = time.monotonic()
            try:
                changed = roster.roles_changed_since(self.position)
            except Exception as error:
                # Nothing kept can be vouched for: each person's roles are asked again
                # (and a roster that answers nothing is the caller's 503).
                log.warning("the roster did not say whose roles changed: %r", error)
                self.known.clear()
                self.position = None
                return
            if self.position is None or changed["position"] < self.position:
                self.known.clear()  # a first answer, or a roster restored to an older log
            for person in changed["people"]:
                self.known.pop(UUID(person), None)
            self.position = changed["position"]
            self.answers += 1
            self.checked = asked


class RosterRoles(Backend):
    def __init__(self) -> None:
        super().__init__("agreements")

    def setup(self) -> None:
        super().setup()
        self.kept = KeptRoles(settings.current().gateway_roles_seconds)

    def roles_of(self, person: UUID, entrypoint: Any) -> frozenset[Role]:
        # Asked outside any route's worker (before one is spawned): a context of its own.
        # It carries the request's id, as a route's worker would (``coachops.logs``).
        request = logs.bound()
        proxy: Any = self.get_dependency(WorkerContext(
            self.container, None, entrypoint, data={logs.REQUEST_ID: request} if request else None))
        try:
            with eventlet.Timeout(ANSWER_SECONDS):
                return self.kept.roles_of(person, clock.today(), proxy)
        except (eventlet.Timeout, RpcTimeout, UnknownService):
            raise ServiceUnavailable("the roster does not answer, so no role can be checked;"
                                     " try again shortly") from None

    def require(self, actor: Actor, entrypoint: Any) -> None:
        """Forbidden (403) unless the roster gives the actor their token's role today."""
        if actor.role not in self.roles_of(actor.id, entrypoint):
            raise Forbidden(f"the roster does not make you a {actor.role.value} today: this "
                            "token's role is not yours", field="role")
