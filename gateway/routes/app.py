"""The app coaches, teachers and principals do their work in (``/app/``): static files from
``gateway/app/`` (``gateway.static``), holding no data, like the dashboard's. The page calls
the API's routes as the signed-in person (the district sign-in's session, as the dashboard
does); its service worker keeps these files, never an API or ``/auth/*`` answer, for a coach
working offline."""

from __future__ import annotations

from typing import Any

from gateway.static import GATEWAY, Folder, serving

APP = Folder.of(GATEWAY / "app", "the app", shared=True)
AppRoutes: Any = serving(APP, __name__, page=("app", "/app/"),
                         files=("app_file", "/app/<path:name>"),
                         bare=("app_without_slash", "/app"))
