"""The district's categories of time use, each coaching or other."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.errors import Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.timetracking.domain.ids import CATEGORY_LIST_ID
from services.timetracking.domain.written import written

MAX_LABEL = 100
CATEGORY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Kind(StrEnum):
    """Coaching: work with teachers. Other: everything a coach should not be doing much of."""

    COACHING = "coaching"
    OTHER = "other"


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    kind: Kind
    retired: bool = False


# The district's categories until it renames, retires or adds its own: id, kind, label.
_DEFAULTS = """
coaching-cycle         coaching  Coaching cycle work (one-on-one)
group-coaching         coaching  Group coaching / PLC
co-planning            coaching  Co-planning
modelling              coaching  Modelling
professional-learning  coaching  Professional learning design and facilitation
relationship-building  coaching  Relationship building
covering-classes       other     Covering classes
tech-support           other     Tech support
testing-and-data       other     Testing and data reports
duties                 other     Duties (bus, lunch, recess)
non-coaching-meetings  other     Non-coaching meetings
admin-tasks            other     Admin tasks
"""
DEFAULT_CATEGORIES: tuple[tuple[str, str, Kind], ...] = tuple(
    (category_id, label, Kind(kind))
    for category_id, kind, label in (line.split(maxsplit=2)
                                     for line in _DEFAULTS.strip().splitlines()))

MANAGERS = (Role.DISTRICT_LEADER, Role.IT_ADMIN)


def _label(label: str) -> str:
    return written(" ".join(label.split()), "label", MAX_LABEL, "the label is empty")


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:63].rstrip("-")


class CategoryList(Aggregate):
    """The district's categories of time use, each coaching or other, each with a stable id."""

    __module__ = "services.timetracking.domain"  # the topic its stored events name

    @staticmethod
    def create_id() -> UUID:
        return CATEGORY_LIST_ID

    @classmethod
    def seeded(cls) -> CategoryList:
        categories = cls()
        for category_id, label, kind in DEFAULT_CATEGORIES:
            categories._added(actor=None, category_id=category_id, label=label, kind=kind.value)
        return categories

    @event("Opened")
    def __init__(self) -> None:
        self.categories: dict[str, Category] = {}

    # Queries -----------------------------------------------------------------------------

    def get(self, category_id: str) -> Category:
        try:
            return self.categories[category_id]
        except KeyError:
            raise NotFound(f"there is no category {category_id!r}", field="category_id") from None

    def usable(self, category_id: str) -> Category:
        """The category a new or changed entry may use: one that exists and is not retired."""
        category = self.categories.get(category_id)
        if category is None:
            raise Invalid(f"there is no category {category_id!r}", field="category_id")
        if category.retired:
            raise Invalid(
                f"the category {category_id!r} ({category.label}) is retired; choose another",
                field="category_id",
            )
        return category

    def find(self, id_or_label: str) -> Category | None:
        """A category by its id or its label, ignoring case (spreadsheets use labels)."""
        wanted = " ".join(id_or_label.split()).casefold()
        if wanted in self.categories:
            return self.categories[wanted]
        matches = [c for c in self.categories.values() if c.label.casefold() == wanted]
        active = [c for c in matches if not c.retired]
        found = active or matches
        return found[0] if found else None

    def active(self) -> list[Category]:
        return [c for c in self.categories.values() if not c.retired]

    # Commands ----------------------------------------------------------------------------

    def add(self, actor: Actor, label: str, kind: str, category_id: str | None = None) -> Category:
        self._authorize(actor)
        label = _label(label)
        try:
            kind = Kind(kind)
        except ValueError:
            raise Invalid("the kind is 'coaching' or 'other'", field="kind") from None
        # An id made from the label: a refusal of it names the label, the field sent.
        field = "category_id" if category_id else "label"
        category_id = category_id or slug(label)
        if not CATEGORY_ID.match(category_id):
            raise Invalid(
                "the id is 1-63 lower-case letters, digits and dashes" if field == "category_id"
                else "the label needs a letter or a digit to make its id: or give a category_id",
                field=field,
            )
        if category_id in self.categories:
            existing = self.categories[category_id]
            raise Invalid(
                f"there is already a category {category_id!r} ({existing.label})",
                field=field,
            )
        self._check_label_is_free(label)
        self._added(actor=actor, category_id=category_id, label=label, kind=kind.value)
        return self.categories[category_id]

    def rename(self, actor: Actor, category_id: str, label: str) -> Category:
        self._authorize(actor)
        category = self.get(category_id)
        label = _label(label)
        if label == category.label:
            raise Invalid(f"the category is already called {label!r}", field="label")
        self._check_label_is_free(label, besides=category_id)
        self._renamed(actor=actor, category_id=category_id, label=label)
        return self.categories[category_id]

    def retire(self, actor: Actor, category_id: str) -> Category:
        self._authorize(actor)
        category = self.get(category_id)
        if category.retired:
            raise Invalid(f"the category {category_id!r} is already retired", field="category_id")
        self._retired(actor=actor, category_id=category_id)
        return self.categories[category_id]

    def _authorize(self, actor: Actor) -> None:
        if actor.role not in MANAGERS:
            raise Forbidden("only a district coaching leader or district IT can change the"
                            " category list")

    def _check_label_is_free(self, label: str, besides: str | None = None) -> None:
        for other in self.active():
            if other.id != besides and other.label.casefold() == label.casefold():
                raise Invalid(f"the category {other.id!r} is already called {other.label!r}",
                              field="label")

    # Events: they only apply, they never check (they run again on every replay) ----------

    @event("Added")
    def _added(self, actor: Actor | None, category_id: str, label: str, kind: str) -> None:
        self.categories[category_id] = Category(category_id, label, Kind(kind))

    @event("Renamed")
    def _renamed(self, actor: Actor, category_id: str, label: str) -> None:
        self.categories[category_id] = replace(self.categories[category_id], label=label)

    @event("Retired")
    def _retired(self, actor: Actor, category_id: str) -> None:
        self.categories[category_id] = replace(self.categories[category_id], retired=True)
