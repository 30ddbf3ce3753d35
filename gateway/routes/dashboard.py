"""The web dashboard: static files from ``gateway/dashboard/`` (``gateway.static``).

No token is needed to fetch the page: it holds no data. The browser then calls the
report routes with the session of their district sign-in (``gateway.signin``) or, in
developer mode, the bearer token they pasted in, like any other client.
"""

from __future__ import annotations

from typing import Any

from werkzeug import Request, Response
from werkzeug.utils import redirect

from gateway.http import http
from gateway.static import GATEWAY, Folder, serving

DASHBOARD = Folder.of(GATEWAY / "dashboard", "the dashboard", shared=True)
FILES = DASHBOARD.files
DashboardFiles: Any = serving(DASHBOARD, __name__, page=("dashboard", "/dashboard/"),
                         files=("dashboard_file", "/dashboard/<path:name>"),
                         bare=("dashboard_without_slash", "/dashboard"))


class DashboardRoutes(DashboardFiles):
    @http("GET", "/")
    def home(self, request: Request) -> Response:
        return redirect("/dashboard/", code=302)
