"""The web dashboard: static files from ``gateway/dashboard/``, served as they are.

No token is needed to fetch the page: it holds no data. The browser then calls the
report routes with the bearer token the person pasted in, like any other client.

Only files that are in the folder when the gateway starts are served (a fixed list), so
no URL, encoded or not, can reach outside it.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug import Request, Response
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect

from gateway.http import http

FOLDER = Path(__file__).resolve().parents[1] / "dashboard"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
# Nothing from another origin, no inline script or style, no framing by other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self';"
        " frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The files change with each release of the gateway: always ask again.
    "Cache-Control": "no-cache",
}


def dashboard_files(folder: Path = FOLDER) -> dict[str, Path]:
    """Every servable file of the folder by its path in the URL, e.g. ``js/app.js``."""
    return {path.relative_to(folder).as_posix(): path
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix in CONTENT_TYPES}


FILES = dashboard_files()


def asset(name: str) -> Response:
    path = FILES.get(name)
    if path is None:
        raise NotFound(f"the dashboard has no file {name!r}")
    return Response(path.read_bytes(), status=200, headers=SECURITY_HEADERS,
                    content_type=CONTENT_TYPES[path.suffix])


class DashboardRoutes:
    @http("GET", "/")
    def home(self, request: Request) -> Response:
        return redirect("/dashboard/", code=302)

    @http("GET", "/dashboard")
    def dashboard_without_slash(self, request: Request) -> Response:
        return redirect("/dashboard/", code=301)

    @http("GET", "/dashboard/")
    def dashboard(self, request: Request) -> Response:
        return asset("index.html")

    @http("GET", "/dashboard/<path:name>")
    def dashboard_file(self, request: Request, name: str) -> Response:
        return asset(name)
