"""The pages the gateway serves from its folders (gateway.static): what the dashboard, the
console and the app share is written once and served in each, as if it were in each folder."""

from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import NotFound

from gateway.openapi import DOCS_PAGE
from gateway.routes.admin import CONSOLE
from gateway.routes.app import APP
from gateway.routes.dashboard import DASHBOARD
from gateway.static import INCLUDE, SHARED, Folder, with_shared


@pytest.mark.parametrize("folder", [DASHBOARD, CONSOLE, APP], ids=lambda f: f.what)
def test_the_shared_files_are_served_in_both_folders(folder: Folder) -> None:
    for name in ("base.css", "favicon.svg"):
        assert folder.response(name).get_data() == (SHARED / name).read_bytes()


@pytest.mark.parametrize(("folder", "own"), [(DASHBOARD, b"style.css"), (CONSOLE, b"console.css"),
                                             (APP, b"app.css")],
                         ids=["dashboard", "console", "app"])
def test_a_page_is_served_with_the_shared_parts_put_in(folder: Folder, own: bytes) -> None:
    page = folder.files["index.html"].read_bytes()
    assert INCLUDE.search(page), "the page shares its sign-in form"
    served = folder.response("index.html").get_data()
    assert b"<!-- shared:" not in served and b"{{" not in served  # every place filled
    assert served.count(b"<title>") == served.count(b"<h1>") == 1
    assert (SHARED / "sign-in-form.html").read_bytes() in served
    # The shared look first: the page's own rules come after it and win a tie.
    assert served.index(b'href="base.css"') < served.index(b'href="' + own + b'"')


def test_a_shared_line_fills_the_places_of_its_file() -> None:
    page = b'<head>\n  <!-- shared: head.html title="A &amp; B" style="a.css" script="a.js" -->\n'
    served = with_shared(page)
    assert b"<title>A &amp; B</title>" in served and b'href="a.css"' in served
    assert b'<script type="module" src="a.js"></script>' in served


def test_a_shared_line_keeps_what_is_around_it() -> None:
    page = b"<body>\n    <!-- shared: sign-in-form.html -->\n</body>\n"
    form = (SHARED / "sign-in-form.html").read_bytes()
    assert with_shared(page) == b"<body>\n" + form + b"</body>\n"
    assert with_shared(b"<p>no shared part</p>\n") == b"<p>no shared part</p>\n"


def test_the_api_page_shares_nothing_and_keeps_its_own_policy() -> None:
    assert set(DOCS_PAGE.files) == {"index.html", "docs.js", "docs.css"}
    policy = DOCS_PAGE.response("docs.js").headers["Content-Security-Policy"]
    assert "img-src" not in policy and "default-src 'none'" in policy


@pytest.mark.parametrize(("folder", "name"), [(DASHBOARD, "../routes/dashboard.py"),
                                              (CONSOLE, "missing.html"),
                                              (DOCS_PAGE, "base.css")])
def test_only_the_folder_s_files_are_served(folder: Folder, name: str) -> None:
    with pytest.raises(NotFound) as refused:
        folder.response(name)
    assert f"{folder.what} has no file" in str(refused.value.description)


def test_the_app_s_service_worker_keeps_every_file_of_the_app_offline() -> None:
    """A file the worker's list forgets would be missing when the app opens offline."""
    kept = re.findall(r'"([^"]+)"', APP.files["sw.js"].read_text().split("FILES = [")[1]
                      .split("];")[0])
    # put in index.html as it is served
    in_the_page = {name for name in APP.files if name.endswith(".html")} - {"index.html"}
    assert set(kept) == (set(APP.files) - {"sw.js"} - in_the_page) | {"./"}
    assert APP.response("manifest.webmanifest").content_type == "application/manifest+json"
    policy = APP.response("index.html").headers["Content-Security-Policy"]
    assert "manifest-src 'self'" in policy and "worker-src 'self'" in policy  # installable
