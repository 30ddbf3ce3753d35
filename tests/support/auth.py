from __future__ import annotations

import uuid

from coachops.identity import Role
from gateway.auth import issue


def bearer(person_id: uuid.UUID | str, role: Role | str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(uuid.UUID(str(person_id)), Role(role))}"}
