"""What the coach's app receives: JSON-ready dicts of days, weeks and categories.

These answer the coach alone (the service checks it), so an entry's private note is
shown here, and only here.
"""

from __future__ import annotations

from typing import Any

from services.timetracking.domain import (
    Category,
    CategoryList,
    CoachDay,
    Entry,
    Suggestion,
    Totals,
    hhmm,
    totals,
)


def category(item: Category) -> dict[str, Any]:
    return {"category_id": item.id, "label": item.label, "kind": item.kind.value,
            "retired": item.retired}


def entry(item: Entry, categories: CategoryList) -> dict[str, Any]:
    values = item.values
    return {
        "entry_id": str(item.entry_id),
        "school_id": str(values.school_id),
        "worked_on": values.worked_on.isoformat(),
        "start": hhmm(values.start) if values.start else None,
        "end": hhmm(values.end) if values.end else None,
        "minutes": values.minutes,
        "category_id": values.category_id,
        "category_label": categories.get(values.category_id).label,
        "category_kind": item.category_kind.value,
        "cycle_id": str(values.cycle_id) if values.cycle_id else None,
        "focus_area_id": values.focus_area_id,
        "note": values.note,
        "voided": item.voided,
        "history": [
            {"action": change.action, "reason": change.reason,
             "from_date": change.from_on.isoformat() if change.from_on else None}
            for change in item.history
        ],
    }


def suggestion(item: Suggestion, categories: CategoryList) -> dict[str, Any]:
    return {
        "item_id": str(item.item_id),
        "cycle_id": str(item.cycle_id),
        "school_id": str(item.school_id),
        "kind": item.kind,
        "category_id": item.category_id,
        "category_label": categories.get(item.category_id).label,
        "minutes": item.minutes,
    }


def summary(result: Totals) -> dict[str, Any]:
    return {
        "by_category": [
            {**category(line.category), "minutes": line.minutes} for line in result.by_category
        ],
        "coaching_minutes": result.coaching_minutes,
        "other_minutes": result.other_minutes,
        "total_minutes": result.total_minutes,
        "coaching_share": result.coaching_share,
    }


def day(coach_day: CoachDay, categories: CategoryList) -> dict[str, Any]:
    voided = [e for e in coach_day.entries.values() if e.voided]
    return {
        "coach_id": str(coach_day.coach_id),
        "date": coach_day.worked_on.isoformat(),
        "entries": [entry(e, categories) for e in [*coach_day.live(), *voided]],
        "suggestions": [suggestion(s, categories) for s in coach_day.pending()],
        "totals": summary(totals(coach_day.live(), categories)),
    }


def week(days: list[CoachDay], categories: CategoryList, target_share: float
         ) -> dict[str, Any]:
    """``target_share``: the district's, which the week's coaching share is shown against."""
    return {
        "coach_id": str(days[0].coach_id),
        "week_start": days[0].worked_on.isoformat(),
        "week_end": days[-1].worked_on.isoformat(),
        "days": [
            {"date": d.worked_on.isoformat(), "entries": len(d.live()),
             "suggestions": [suggestion(s, categories) for s in d.pending()],
             "totals": summary(totals(d.live(), categories))}
            for d in days
        ],
        "totals": summary(totals([e for d in days for e in d.live()], categories)),
        "target_share": target_share,
    }


def history_imported(plan: Any, dry_run: bool) -> dict[str, Any]:
    """What a history import recorded, or would record (a dry run): entries, their coaches
    and minutes, and the lines already recorded before (the file seen again)."""
    new = set(plan.entry_ids)
    minutes = sum(e.values.minutes for day in plan.days for e in day.live() if e.entry_id in new)
    return {"dry_run": dry_run, "recorded": len(plan.locations),
            "already_recorded": plan.already,
            "coaches": len({location.coach_id for location in plan.locations}),
            "minutes": minutes,
            "entry_ids": [] if dry_run else [str(e) for e in plan.entry_ids]}
