"""District IT's directory: a person found by name, email or the roster's sourcedId, with
their roles and where they hold them (schools and regions by name).

Like ``RosterIndex``, it is kept in the process from this service's own notification log
(``roles.FromTheLog``), brought up to date before every question, and it holds the names
only while the store can open them: when a person is forgotten their names and email leave it
with the event that says so (and the store could no longer open them anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from coachops.json import Json
from services.agreements.roles import FromTheLog, RosterIndex
from services.agreements.roster import History, Person, Region, School, roster_id

EVENTS = (Person.Registered, Person.Updated, Person.Forgotten, School.Defined,
          School.Relabelled, School.AssignedToRegion, Region.Defined, Region.Relabelled)
TOPICS = [get_topic(e) for e in EVENTS]
MAX_FOUND = 25


@dataclass
class Entry:
    sourced_id: str
    given_name: str = ""
    family_name: str = ""
    email: str | None = None
    forgotten: bool = False

    @property
    def words(self) -> str:
        return f"{self.given_name} {self.family_name} {self.email or ''}".casefold()

    @property
    def name(self) -> str | None:
        """How people are shown: none once forgotten."""
        return None if self.forgotten else f"{self.given_name} {self.family_name}".strip()


@dataclass
class Place:
    """A school (its OneRoster sourcedId and its region by date) or a region (its code)."""

    sourced_id: str
    label: str
    region: History[UUID] = field(default_factory=History)


class Directory(FromTheLog):
    topics = TOPICS

    def __init__(self, app: Application[UUID], roles: RosterIndex) -> None:
        super().__init__(app)
        self.roles = roles
        self.people: dict[UUID, Entry] = {}
        self.by_email: dict[str, UUID] = {}
        self.places: dict[UUID, str] = {}  # school or region -> its name
        self.schools: dict[UUID, Place] = {}
        self.regions: dict[UUID, Place] = {}

    def _apply(self, event: Any, position: int) -> None:
        key = event.originator_id
        if isinstance(event, (School.Defined, School.Relabelled, Region.Defined,
                              Region.Relabelled)):
            self.places[key] = event.label
            kept = self.schools if isinstance(event, (School.Defined, School.Relabelled)) \
                else self.regions
            if isinstance(event, School.Defined):
                kept[key] = Place(event.sourced_id, event.label)
            elif isinstance(event, Region.Defined):
                kept[key] = Place(event.code, event.label)
            elif key in kept:
                kept[key].label = event.label
            return
        if isinstance(event, School.AssignedToRegion):
            if key in self.schools:
                self.schools[key].region.set(event.effective_on, event.region_id)
            return
        entry = self.people.get(key)
        if isinstance(event, Person.Registered):
            entry = self.people[key] = Entry(event.sourced_id)
        if entry is None:
            return
        if entry.email:
            self.by_email.pop(entry.email.casefold(), None)
        if isinstance(event, Person.Forgotten):
            entry.given_name = entry.family_name = ""
            entry.email, entry.forgotten = None, True
            return
        entry.given_name, entry.family_name = event.given_name, event.family_name
        entry.email = event.email
        if entry.email:
            self.by_email[entry.email.casefold()] = key

    # Questions --------------------------------------------------------------------------

    def identify(self, identifier: str) -> UUID | None:
        """The person whose sourcedId or email this is (exactly, the email in any case)."""
        self.catch_up()
        text = identifier.strip()
        by_sourced_id = roster_id(text)
        if by_sourced_id in self.people:
            return by_sourced_id
        return self.by_email.get(text.casefold())

    def search(self, query: str) -> tuple[list[tuple[UUID, str]], bool]:
        """Who ``query`` names, each with how (``sourced_id``, ``email`` or ``name``: every
        word of it in their names or email), by family name; and whether there were more."""
        exact = self.identify(query)
        found: list[tuple[UUID, str]] = []
        if exact is not None:
            how = "sourced_id" if self.people[exact].sourced_id == query.strip() else "email"
            found.append((exact, how))
        words = query.casefold().split()
        named = sorted((entry.family_name.casefold(), entry.given_name.casefold(), person)
                       for person, entry in self.people.items()
                       if person != exact and words and not entry.forgotten
                       and all(word in entry.words for word in words))
        found += [(person, "name") for _, _, person in named]
        return found[:MAX_FOUND], len(found) > MAX_FOUND

    def person(self, person: UUID, how: str, on: date) -> Json:
        entry = self.people[person]
        places = self.roles.places_on(person, on)
        return {"person_id": str(person), "sourced_id": entry.sourced_id,
                "given_name": entry.given_name, "family_name": entry.family_name,
                "email": entry.email, "forgotten": entry.forgotten, "matched": how,
                "roles": sorted({role.value for role, _ in places}),
                "assignments": [{"role": role.value,
                                 "place_id": None if place is None else str(place),
                                 "place": "the district" if place is None
                                 else self.places.get(place, str(place))}
                                for role, place in places]}
