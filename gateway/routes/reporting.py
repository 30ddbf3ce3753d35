"""Report routes: aggregates only. Every report is JSON, or CSV with ``?format=csv``, so
their handlers are written here; their rows (roles, description) are in the route table,
and the school's active cycles is made from it.

    GET /reports/time-use?school_year=2026&region_id=...
    GET /reports/plan-alignment?month=2026-10&school_id=...
    GET /reports/cycle-activity?from_date=2026-09-01&to_date=2026-12-31&as_of=2026-12-01
    GET /reports/council?school_year=2026
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError
from werkzeug import Request, Response

from coachops.commands.reporting import ReportQuery
from gateway.auth import actor_of
from gateway.http import Backend, http
from gateway.routes import validated

SUPPRESSED = "suppressed"


def _flatten(value: Any, prefix: str, flat: dict[str, Any], hidden: list[str]) -> None:
    if isinstance(value, dict):
        if value.get("suppressed") is True:
            hidden.append(prefix)
            return
        for name, inner in value.items():
            _flatten(inner, f"{prefix}.{name}" if prefix else str(name), flat, hidden)
    else:
        flat[prefix] = value


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One line per row; nested cells as dotted columns. A suppressed cell's columns say
    "suppressed", never 0 or blank."""
    flattened = []
    columns: dict[str, None] = {"level": None, "key": None}
    for row in rows:
        flat: dict[str, Any] = {"level": row["level"], "key": row["key"]}
        hidden: list[str] = []
        if row.get("suppressed") is True:
            hidden.append("")  # the whole row
        else:
            _flatten(row, "", flat, hidden)
        flattened.append((flat, hidden))
        columns.update(dict.fromkeys([*flat, *(h for h in hidden if h)]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for flat, hidden in flattened:
        line = []
        for column in columns:
            if column in flat:
                value = flat[column]
                line.append("" if value is None else value)
            elif any(h in ("", column) or column.startswith(h + ".") for h in hidden):
                line.append(SUPPRESSED)
            else:
                line.append("")
        writer.writerow(line)
    return out.getvalue()


def report_query(request: Request) -> tuple[dict[str, Any], str]:
    args = dict(request.args)
    fmt = args.pop("format", "json")
    if fmt not in ("json", "csv"):
        raise ValidationError({"format": ["Must be one of: json, csv."]})
    return validated(ReportQuery, args), fmt


def answer(report: str, fmt: str) -> Response:
    """The report as reporting encoded it (``ReportingService.report``: JSON text, sent
    on as it is rather than decoded and encoded again here), or as CSV."""
    if fmt == "csv":
        body = json.loads(report)
        name = f"{body['view']}-{body['from_date']}-{body['to_date']}.csv"
        return Response(to_csv(body["rows"]), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(report, status=200, mimetype="application/json")


def report_route(view: str, rule: str) -> Callable[..., Response]:
    """The handler of the report ``view``'s route (``ReportRoutes._report``)."""

    def handle(self: ReportRoutes, request: Request) -> Response:
        return self._report(view, request)

    handle.__name__ = handle.__qualname__ = f"{view}_report"
    route: Callable[..., Response] = http("GET", rule)(handle)
    return route


class ReportRoutes:
    reporting: Backend  # the RPC proxy the route table gives ``GatewayService``

    def _report(self, view: str, request: Request) -> Response:
        actor = actor_of(request)
        query, fmt = report_query(request)
        return answer(self.reporting.report(view, actor.to_dict(), query), fmt)

    time_use_report = report_route("time_use", "/reports/time-use")
    plan_alignment_report = report_route("plan_alignment", "/reports/plan-alignment")
    cycle_activity_report = report_route("cycle_activity", "/reports/cycle-activity")
    council_report = report_route("council", "/reports/council")
