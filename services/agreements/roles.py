"""Who holds which role on the roster, by person: the question the gateway asks of every
token ("the roles of this person on this day"), and the agreements' own scope rules ask
of a teacher ("at which schools on this day").

The roster's aggregates are keyed by school, region and district, so answering by person
from them would read every school. ``RosterIndex`` keeps the answer in the process
instead: the roster's events, read from this service's own notification log in the order
they were stored, and brought up to date (a read of what came after the last one, usually
nothing) before every question. So an answer is what the store holds when it is asked.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from coachops.identity import Role
from coachops.privacy.sealing import warm_keys
from services.agreements.roster import District, History, Person, PostChanged, Region, School

EVENTS = (School.PrincipalChanged, School.CoachAssigned, School.CoachUnassigned,
          School.TeacherAssigned, School.TeacherLeft, Region.RepresentativeChanged,
          District.LeaderAppointed, District.LeaderLeft, District.ItAdminAppointed,
          District.ItAdminLeft, Person.Forgotten)
TOPICS = [get_topic(e) for e in EVENTS]
PAGE = 2000


def _on(histories: dict[UUID, History], day: date) -> set[UUID]:
    return {key for key, history in histories.items() if history.on(day)}


class FromTheLog:
    """What a class keeps in the process from this service's notification log: the events
    of ``topics``, applied in the order they were stored (``_apply``, with the position of
    each in the log), read from where it last stopped before every question
    (``catch_up``)."""

    topics: ClassVar[list[str]]

    def __init__(self, app: Application[UUID]) -> None:
        self.app = app
        self.position = 0
        self.lock = threading.Lock()  # green under eventlet: one worker catches up at once

    def catch_up(self) -> None:
        with self.lock:
            while True:
                page = self.app.recorder.select_notifications(
                    start=self.position + 1, limit=PAGE, topics=self.topics)
                warm_keys(self.app.mapper, page)
                for notification in page:
                    self._apply(self.app.mapper.to_domain_event(notification), notification.id)
                    self.position = notification.id
                if len(page) < PAGE:
                    return

    def _apply(self, event: Any, position: int) -> None:
        raise NotImplementedError


class RosterIndex(FromTheLog):
    topics = TOPICS

    def __init__(self, app: Application[UUID]) -> None:
        super().__init__(app)
        self.coach_at: dict[UUID, dict[UUID, History]] = defaultdict(dict)  # person -> school
        self.teacher_at: dict[UUID, dict[UUID, History]] = defaultdict(dict)
        self.leader: dict[UUID, History] = defaultdict(History)
        self.it_admin: dict[UUID, History] = defaultdict(History)
        # Principals and representatives by the school or region, and the places each
        # person was ever named for: "principal on day D" is the school's answer on D.
        self.principal_of: dict[UUID, History] = defaultdict(History)
        self.principal_places: dict[UUID, set[UUID]] = defaultdict(set)
        self.representative_of: dict[UUID, History] = defaultdict(History)
        self.representative_places: dict[UUID, set[UUID]] = defaultdict(set)
        self.forgotten: set[UUID] = set()
        self.changes: list[tuple[int, UUID]] = []  # (position, person): ``changed_since``

    def _apply(self, event: Any, position: int) -> None:
        self._record(event)
        self.changes += [(position, person) for person in self._touched(event)]

    def _record(self, event: Any) -> None:
        on: Any = getattr(event, "effective_on", None)  # a date on every event below that uses it
        place = event.originator_id
        if isinstance(event, (School.CoachAssigned, School.CoachUnassigned)):
            self.coach_at[event.person].setdefault(place, History()).set(on, event.JOINS)
        elif isinstance(event, (School.TeacherAssigned, School.TeacherLeft)):
            self.teacher_at[event.person].setdefault(place, History()).set(on, event.JOINS)
        elif isinstance(event, School.PrincipalChanged):
            self.principal_of[place].set(on, event.principal_id)
            self.principal_places[event.principal_id].add(place)
        elif isinstance(event, Region.RepresentativeChanged):
            self.representative_of[place].set(on, event.representative_id)
            self.representative_places[event.representative_id].add(place)
        elif isinstance(event, (District.LeaderAppointed, District.LeaderLeft)):
            self.leader[event.person].set(on, event.JOINS)
        elif isinstance(event, (District.ItAdminAppointed, District.ItAdminLeft)):
            self.it_admin[event.person].set(on, event.JOINS)
        elif isinstance(event, Person.Forgotten):
            self.forgotten.add(place)

    def _touched(self, event: Any) -> set[UUID]:
        """Whose roles ``event`` may change: a post's holder, the person forgotten, or, for
        a new principal or CLT representative, everyone the place ever had as one."""
        if isinstance(event, PostChanged):
            return {event.person}
        for kind, places in ((School.PrincipalChanged, self.principal_places),
                             (Region.RepresentativeChanged, self.representative_places)):
            if isinstance(event, kind):
                return {person for person, named in places.items()
                        if event.originator_id in named}
        return {event.originator_id}  # Person.Forgotten

    # Questions ------------------------------------------------------------------------

    def roles_on(self, person: UUID, day: date) -> list[Role]:
        """Every role the roster gives ``person`` on ``day``; none once they are forgotten."""
        self.catch_up()
        if person in self.forgotten:
            return []
        held = {
            Role.COACH: bool(_on(self.coach_at.get(person, {}), day)),
            Role.TEACHER: bool(_on(self.teacher_at.get(person, {}), day)),
            Role.PRINCIPAL: self._named(person, self.principal_places, self.principal_of, day),
            Role.CLT_REP: self._named(person, self.representative_places,
                                      self.representative_of, day),
            Role.DISTRICT_LEADER: bool(self.leader.get(person, History()).on(day)),
            Role.IT_ADMIN: bool(self.it_admin.get(person, History()).on(day)),
        }
        return [role for role, holds in held.items() if holds]

    def changed_since(self, position: int | None) -> tuple[int, set[UUID]]:
        """The people whose roles may have changed after ``position`` in the log (None:
        nobody, for a caller that keeps nothing yet), and the position this answer is as of,
        to ask from next: what the gateway keeps of them is out of date."""
        self.catch_up()
        if position is None:
            return self.position, set()
        first = bisect.bisect_right(self.changes, position, key=lambda change: change[0])
        return self.position, {person for _, person in self.changes[first:]}

    def teacher_schools_on(self, person: UUID, day: date) -> set[UUID]:
        self.catch_up()
        return set() if person in self.forgotten else _on(self.teacher_at.get(person, {}), day)

    @staticmethod
    def _named(person: UUID, places: dict[UUID, set[UUID]],
               holder_of: dict[UUID, History], day: date) -> bool:
        found: Iterable[UUID] = places.get(person, ())
        return any(holder_of[place].on(day) == person for place in found)

    def places_on(self, person: UUID, day: date) -> list[tuple[Role, UUID | None]]:
        """Each role ``person`` holds on ``day`` with where: a school (coach, teacher,
        principal), a region (CLT representative), or None (the district's own roles)."""
        self.catch_up()
        return self._places_on(person, day)

    def everyone_on(self, day: date) -> dict[UUID, list[tuple[Role, UUID | None]]]:
        """``places_on`` for everyone holding a role on ``day``, caught up once (a listing
        of the district's thousands of staff asks it of each)."""
        self.catch_up()
        people = {*self.coach_at, *self.teacher_at, *self.principal_places,
                  *self.representative_places, *self.leader, *self.it_admin}
        held = {person: self._places_on(person, day) for person in people}
        return {person: places for person, places in held.items() if places}

    def ever_named(self, person: UUID) -> bool:
        """Whether the roster ever gave ``person`` a role (forgotten since, or not)."""
        self.catch_up()
        return any(person in kept for kept in (
            self.coach_at, self.teacher_at, self.principal_places, self.representative_places,
            self.leader, self.it_admin))

    def _places_on(self, person: UUID, day: date) -> list[tuple[Role, UUID | None]]:
        if person in self.forgotten:
            return []
        held: list[tuple[Role, UUID | None]] = []
        for role, histories in ((Role.COACH, self.coach_at), (Role.TEACHER, self.teacher_at)):
            held += [(role, place) for place in sorted(_on(histories.get(person, {}), day),
                                                       key=str)]
        for role, places, holder_of in (
                (Role.PRINCIPAL, self.principal_places, self.principal_of),
                (Role.CLT_REP, self.representative_places, self.representative_of)):
            held += [(role, place) for place in sorted(places.get(person, ()), key=str)
                     if holder_of[place].on(day) == person]
        for role, history in ((Role.DISTRICT_LEADER, self.leader),
                              (Role.IT_ADMIN, self.it_admin)):
            if history.get(person, History()).on(day):
                held.append((role, None))
        return held
