"""The time-tracking route whose body is special: a coach's CSV import. The others (entries,
days, weeks, categories) are made from the route table (``coachops/routes.py``)."""

from __future__ import annotations

from werkzeug import Request
from werkzeug.exceptions import UnsupportedMediaType

from coachops.commands.timetracking import ImportTimeEntries
from coachops.json import Json
from gateway.auth import actor_of
from gateway.http import MAX_BODY_BYTES, Backend, http, json_body
from gateway.routes import validated, with_path


def csv_upload(request: Request) -> Json:
    """``text/csv`` (the file itself, ``?school_id=`` for rows without one) or JSON
    ``{"csv": "...", "school_id": ...}``."""
    if request.mimetype == "text/csv":
        request.max_content_length = MAX_BODY_BYTES
        body: Json = {"csv": request.get_data(as_text=True)}
        if "school_id" in request.args:
            body["school_id"] = request.args["school_id"]
        return body
    if request.mimetype == "application/json":
        return json_body(request)
    raise UnsupportedMediaType("send the file as text/csv, or JSON with the text in 'csv'")


class TimeRoutes:
    timetracking_long: Backend  # the RPC proxy the route table gives ``GatewayService``

    @http("POST", "/coaches/<coach_id>/time-entries/import")
    def import_time_entries(self, request: Request, coach_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(ImportTimeEntries, with_path(csv_upload(request), coach_id=coach_id))
        return 201, self.timetracking_long.import_time_entries(actor.to_dict(), command)
