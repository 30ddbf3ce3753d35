"""Who is acting: every command and every event names its actor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    COACH = "coach"
    TEACHER = "teacher"
    PRINCIPAL = "principal"
    CLT_REP = "clt_rep"
    DISTRICT_LEADER = "district_leader"
    IT_ADMIN = "it_admin"


@dataclass(frozen=True)
class Actor:
    """A person from the roster acting in one role. Ids only: names never travel."""

    id: UUID
    role: Role

    def to_dict(self) -> dict[str, str]:
        return {"id": str(self.id), "role": self.role.value}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Actor:
        return cls(id=UUID(str(data["id"])), role=Role(data["role"]))
