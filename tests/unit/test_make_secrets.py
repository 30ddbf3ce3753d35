"""``python -m deploy.make_secrets generate DIR`` (``make secrets``): one strong, URL-safe
secret a file, one per database role, never over a file already there, mode 0600."""

from __future__ import annotations

import base64
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from coachops import settings
from deploy import make_secrets

ROOT = Path(__file__).resolve().parents[2]
ROLES = {f"{service}_database_password" for service in settings.SERVICES}


def generate(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deploy.make_secrets", "generate",
                           str(directory)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_one_strong_url_safe_file_per_secret_and_per_database_role(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    made = generate(directory)
    assert made.returncode == 0, made.stderr
    names = {path.name for path in directory.iterdir()}
    assert names >= ROLES  # one password per database role, not one shared
    assert {"postgres_password", "rabbitmq_password", "grafana_admin_password",
            "token_secret", "master_key"} <= names
    values = {name: (directory / name).read_text().strip() for name in names}
    assert len(set(values.values())) == len(values)  # no two alike
    for name, value in values.items():
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
        assert settings.weakness(value) == "", (name, value)
        if name != "master_key":
            # URL-safe, and no leading "-" a command line would take for an option
            assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{42}", value), (name, value)
    assert len(base64.b64decode(values["master_key"], validate=True)) == 32
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    # What the services read: each one is accepted by production as it is.
    environ = {"COACHOPS_ENV": "production",
               "COACHOPS_MASTER_KEY_FILE": str(directory / "master_key"),
               "COACHOPS_TOKEN_SECRET_FILE": str(directory / "token_secret"),
               "AMQP_PASSWORD_FILE": str(directory / "rabbitmq_password"),
               **{f"{settings.database_secret(s)}_FILE":
                  str(directory / f"{s}_database_password") for s in settings.SERVICES}}
    loaded = settings.load(environ, (settings.MASTER_KEY, settings.TOKEN_SECRET,
                                     settings.BROKER,
                                     *map(settings.database_secret, settings.SERVICES)))
    assert loaded.token_secret == values["token_secret"]


def test_no_password_begins_with_a_dash() -> None:
    # rabbitmqctl add_user took one for an option (exit 64); one draw in 64 began so.
    drawn = [make_secrets.SECRETS["rabbitmq_password"]() for _ in range(2000)]
    assert not [password for password in drawn if password.startswith("-")]
    assert len(set(drawn)) == len(drawn)


def test_a_file_already_there_is_never_overwritten(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    directory.mkdir()
    (directory / "cycles_database_password").write_text("the district's own\n")
    first = generate(directory)
    assert first.returncode == 0, first.stderr
    assert "kept 1 already there: cycles_database_password" in first.stdout
    before = {p.name: p.read_text() for p in directory.iterdir()}
    assert before["cycles_database_password"] == "the district's own\n"
    again = generate(directory)
    assert again.returncode == 0, again.stderr
    assert "wrote" not in again.stdout
    assert {p.name: p.read_text() for p in directory.iterdir()} == before


def test_new_files_are_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        written, kept = make_secrets.generate(tmp_path / "s")
    finally:
        os.umask(old)
    assert written and not kept
    for name in written:
        assert stat.S_IMODE((tmp_path / "s" / name).stat().st_mode) == 0o600, name


def test_a_directory_it_cannot_write_ends_in_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    failed = generate(blocked / "secrets")
    assert failed.returncode == 1
    assert failed.stderr.strip().count("\n") == 0, failed.stderr
    assert failed.stderr.startswith("deploy.make_secrets: "), failed.stderr
