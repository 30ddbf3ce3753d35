"""Generate the deployment's secrets into files, one a file, for compose's ``secrets:``
(README, "Deploying"): strong, URL-safe, each database role its own.

    python -m deploy.make_secrets generate secrets/    # or: make secrets

A file already there is kept as it is (a password PostgreSQL or RabbitMQ already holds
must not change under them); each new one is written with mode 0600 and its directory 0700.
Only the standard library: it runs with any Python 3 on the Docker host, nothing installed.
(Not ``deploy/secrets.py``: run as ``python deploy/local.py``, deploy/ comes first on the
path, and that name would hide the standard library's ``secrets``.)
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from pathlib import Path

# One role per service, as deploy/postgres/init.sh makes them.
DATABASES = Path(__file__).resolve().parent / "postgres" / "databases.txt"
SERVICES = tuple(line.strip() for line in DATABASES.read_text().splitlines()
                 if line.strip() and not line.startswith("#"))

BYTES = 32  # 256 bits: token_urlsafe gives 43 characters of A-Z a-z 0-9 - _


def _password() -> str:
    # Never a leading "-": command-line tools (rabbitmqctl add_user, change_password) would
    # read the password as an option. One draw in 64 is drawn again: 250 bits remain.
    while (password := secrets.token_urlsafe(BYTES)).startswith("-"):
        pass
    return password


def _master_key() -> str:
    return base64.b64encode(os.urandom(BYTES)).decode()  # as COACHOPS_MASTER_KEY reads it


# Each file, what it holds, and who reads it (docker-compose.yml's ``secrets:``).
SECRETS = {
    "postgres_password": _password,  # the PostgreSQL superuser (the image, init, exporter)
    "rabbitmq_password": _password,  # the broker user (RabbitMQ and every service)
    "rabbitmq_erlang_cookie": _password,  # the RabbitMQ nodes of a cluster (ha), only them
    "grafana_admin_password": _password,
    "token_secret": _password,  # signs access tokens (the gateway)
    "master_key": _master_key,  # wraps the data keys: back it up apart from the data
    **{f"{service}_database_password": _password for service in SERVICES},
}


def generate(directory: Path) -> tuple[list[str], list[str]]:
    """Write every secret missing from ``directory``; (written, kept) file names."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    written, kept = [], []
    for name, make in SECRETS.items():
        path = directory / name
        try:
            # O_EXCL: never overwrite, not even a file made since we looked.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            kept.append(name)
            continue
        with os.fdopen(fd, "w") as file:
            file.write(make() + "\n")
        os.chmod(path, 0o600)  # whatever the umask
        written.append(name)
    return written, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    made = sub.add_parser("generate", help="write every missing secret into DIRECTORY")
    made.add_argument("directory", type=Path)
    args = parser.parse_args()
    try:
        written, kept = generate(args.directory)
    except OSError as error:
        print(f"deploy.make_secrets: {error.filename}: {error.strerror}", file=sys.stderr)
        raise SystemExit(1) from None
    for name in written:
        print(f"wrote {args.directory / name}")
    if kept:
        print(f"kept {len(kept)} already there: {', '.join(kept)}")


if __name__ == "__main__":
    main()
