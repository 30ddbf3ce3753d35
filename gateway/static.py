"""The pages the gateway serves from its own folders, holding no data (no token is needed
to fetch them): the dashboard (``gateway/dashboard/``), district IT's console
(``gateway/admin/``), the app (``gateway/app/``) and the API's page (``gateway/docs/``).

Only the files in a folder when the gateway starts are served (a fixed list), so no URL,
encoded or not, can reach outside it. What the dashboard, the console and the app share
(their look, the sign-in's parts, the code that knows who is signed in) is written once in
``gateway/shared/``: its files are served in each of those folders as if they were there,
and a page's line ``<!-- shared: NAME -->`` stands for the shared file NAME, put in as the
page is served; ``<!-- shared: NAME key="value" ... -->`` also puts each value where the
file says ``{{key}}`` (a page's title, its own style sheet and script).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug import Request, Response
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect

from gateway.http import http

GATEWAY = Path(__file__).resolve().parent
SHARED = GATEWAY / "shared"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",  # the app's, to install it
}
# Nothing from another origin, no inline script or style, no framing by other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self';"
        " base-uri 'none'; form-action 'self';"
        " frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The files change with each release of the gateway: always ask again.
    "Cache-Control": "no-cache",
}
INCLUDE = re.compile(rb"^[ \t]*<!-- shared: ([\w.-]+)((?: [\w-]+=\"[^\"]*\")*) -->[ \t]*\n",
                     re.MULTILINE)
VALUE = re.compile(rb'([\w-]+)="([^"]*)"')
PLACE = re.compile(rb"\{\{([\w-]+)\}\}")


def folder_files(folder: Path) -> dict[str, Path]:
    """Every servable file of the folder by its path in the URL, e.g. ``js/app.js``."""
    return {path.relative_to(folder).as_posix(): path
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix in CONTENT_TYPES}


def with_shared(page: bytes) -> bytes:
    """A page with each of its ``<!-- shared: NAME -->`` lines replaced by that file (and
    that file's own shared lines by theirs), its ``{{key}}`` places filled from the line."""

    def shared(line: re.Match[bytes]) -> bytes:
        values = dict(VALUE.findall(line[2]))
        part = PLACE.sub(lambda place: values[place[1]], (SHARED / line[1].decode()).read_bytes())
        return with_shared(part)

    return INCLUDE.sub(shared, page)


@dataclass(frozen=True)
class Folder:
    what: str  # what the 404 names: "the dashboard"
    files: dict[str, Path]
    headers: dict[str, str]

    @classmethod
    def of(cls, folder: Path, what: str, headers: dict[str, str] = SECURITY_HEADERS,
           shared: bool = False) -> Folder:
        files = {**folder_files(SHARED), **folder_files(folder)} if shared else (
            folder_files(folder))
        return cls(what, files, headers)

    def response(self, name: str) -> Response:
        path = self.files.get(name)
        if path is None:
            raise NotFound(f"{self.what} has no file {name!r}")
        body = path.read_bytes()
        if path.suffix == ".html":
            body = with_shared(body)
        return Response(body, status=200, headers=self.headers,
                        content_type=CONTENT_TYPES[path.suffix])


def serving(folder: Folder, module: str, page: tuple[str, str], files: tuple[str, str],
            bare: tuple[str, str] | None = None) -> type:
    """A mixin of the handlers that serve ``folder``, each given as (its name, its rule):
    ``page`` answers its ``index.html``, ``files`` (a rule ending in ``<name>``) any of its
    files, and ``bare``, when given, sends the page's URL without its last slash to the
    page. ``module`` is the routes module they are of (the OpenAPI document's tag)."""

    def index(self: Any, request: Request) -> Response:
        return folder.response("index.html")

    def file(self: Any, request: Request, name: str) -> Response:
        return folder.response(name)

    def without_slash(self: Any, request: Request) -> Response:
        return redirect(page[1], code=301)

    handlers: list[tuple[Callable[..., Response], tuple[str, str]]] = [
        (index, page), (file, files)]
    if bare is not None:
        handlers.append((without_slash, bare))
    members: dict[str, Any] = {"__module__": module}
    for handler, (name, rule) in handlers:
        handler.__name__ = handler.__qualname__ = name
        handler.__module__ = module
        members[name] = http("GET", rule)(handler)
    return type(f"Serving{folder.what.title().replace(' ', '')}", (), members)
