"""A token's role must be one the roster gives its person today.

A token says who and in which role; the roster (the agreements service) says which roles
that person holds on a date. The gateway asks it ``roles_on(person)`` and keeps the
answer per person for ``GATEWAY_ROLES_SECONDS`` (5) in the process, so a change in the
roster (an assignment ended, a person forgotten) is seen within seconds. When the roster
does not answer the request is a 503 to retry, never let through. A sign-in (OpenID
Connect) asks the same question: ``roles_of(person)``.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import eventlet
from nameko.containers import WorkerContext
from nameko.exceptions import RpcTimeout, UnknownService
from werkzeug.exceptions import ServiceUnavailable

from coachops import logs, settings
from coachops.errors import Forbidden
from coachops.identity import Actor, Role
from gateway.http import Backend

ANSWER_SECONDS = 5.0


class RosterRoles(Backend):
    def __init__(self) -> None:
        super().__init__("agreements")
        self.known: dict[UUID, tuple[float, frozenset[Role]]] = {}

    def setup(self) -> None:
        super().setup()
        self.seconds = settings.current().gateway_roles_seconds

    def roles_of(self, person: UUID, entrypoint: Any) -> frozenset[Role]:
        now = time.monotonic()
        kept = self.known.get(person)
        if kept is not None and now - kept[0] < self.seconds:
            return kept[1]
        # Asked outside any route's worker (before one is spawned): a context of its own.
        # It carries the request's id, as a route's worker would (``coachops.logs``).
        request = logs.bound()
        proxy = self.get_dependency(WorkerContext(
            self.container, None, entrypoint, data={logs.REQUEST_ID: request} if request else None))
        try:
            with eventlet.Timeout(ANSWER_SECONDS):
                roles = frozenset(Role(r) for r in proxy.roles_on(str(person)))
        except (eventlet.Timeout, RpcTimeout, UnknownService):
            raise ServiceUnavailable("the roster does not answer, so no role can be checked;"
                                     " try again shortly") from None
        if len(self.known) > 100_000:  # a bound, not an eviction policy: start over
            self.known.clear()
        self.known[person] = (now, roles)
        return roles

    def require(self, actor: Actor, entrypoint: Any) -> None:
        """Forbidden (403) unless the roster gives the actor their token's role today."""
        if actor.role not in self.roles_of(actor.id, entrypoint):
            raise Forbidden(f"the roster does not make you a {actor.role.value} today: this "
                            "token's role is not yours", field="role")
