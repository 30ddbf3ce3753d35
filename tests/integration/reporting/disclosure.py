"""The issue's subtraction attack on a report's rows, as an outsider would make it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

T = 3  # the platform's suppression threshold (REPORTING_SUPPRESSION_THRESHOLD)
Key = tuple[str, str]


def worked_out(rows: dict[Key, Any], groups: list[tuple[Key, list[Key]]],
               value: Callable[[Any], int | None], truth: dict[Key, int],
               teachers: bool) -> list[Key]:
    """The issue's attack on every total shown: less its parts shown, it leaves what its
    suppressed parts hold between them. One suppressed part, or parts each pinned by what
    a suppressed cell can hold (at least one; fewer than the threshold, for teachers), is
    worked out when the deduction is right."""
    found = []
    for total, parts in groups:
        if total not in rows or value(rows[total]) is None:
            continue
        present = [p for p in parts if p in rows]
        hidden = [p for p in present if value(rows[p]) is None]
        if not hidden:
            continue
        left = value(rows[total]) - sum(value(rows[p]) for p in present if p not in hidden)
        guesses = [left] if len(hidden) == 1 else []
        if left == len(hidden):
            guesses.append(1)
        if teachers and left == len(hidden) * (T - 1):
            guesses.append(T - 1)
        found += [p for p in hidden if truth[p] in guesses]
    return found


def suppressed(row: dict[str, Any]) -> bool:
    return row.get("suppressed") is True


def activity_teachers(row: dict[str, Any]) -> int | None:
    return None if suppressed(row) else int(row["teachers_coached"])


def activity_started(row: dict[str, Any]) -> int | None:
    return None if suppressed(row) else int(row["started"])


def alignment_cycles(row: dict[str, Any]) -> int | None:
    return None if isinstance(row["cycles"], dict) or row["cycles"] == "suppressed" \
        else int(row["cycles"])
