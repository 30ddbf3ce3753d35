"""Create and drop service databases, each owned by a login role of the same name.

    python -m coachops.store.admin ensure --admin-url URL NAME [NAME ...]
    python -m coachops.store.admin drop --admin-url URL NAME [NAME ...]

``admin_url`` is a superuser's (or a CREATEROLE + CREATEDB role's) connection URL to the
maintenance database, e.g. postgresql://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

from coachops import cli, settings

# Two ensures running at once (say, two services starting) can both see "missing" and
# both CREATE; the loser's error means what it wanted now exists.
_ALREADY_EXISTS = (
    psycopg2.errors.DuplicateObject,
    psycopg2.errors.DuplicateDatabase,
    psycopg2.errors.UniqueViolation,
)


@contextlib.contextmanager
def admin_cursor(admin_url: str) -> Iterator[Cursor]:
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
        with conn.cursor() as cursor:
            yield cursor
    finally:
        conn.close()


def ensure_role_and_database(
    admin_url: str, dbname: str, owner: str, password: str | None = None
) -> None:
    """Create the login role ``owner`` and the database ``dbname`` owned by it, if missing.

    When ``password`` is given it is (re)set on the role, so running this again converges.
    """
    with admin_cursor(admin_url) as cursor:
        role = sql.Identifier(owner)
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,))
        if cursor.fetchone() is None:
            with contextlib.suppress(*_ALREADY_EXISTS):
                cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        if password is not None:
            cursor.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD %s").format(role), (password,))
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
        if cursor.fetchone() is None:
            with contextlib.suppress(*_ALREADY_EXISTS):
                cursor.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname), role)
                )


def drop_database(admin_url: str, dbname: str) -> None:
    """Drop ``dbname`` if it exists, first ending every session connected to it."""
    with admin_cursor(admin_url) as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        )
        # FORCE as well: a client may reconnect between the terminate and the drop.
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


def main(argv: Sequence[str] | None = None) -> int:
    configured = settings.start()
    parser = argparse.ArgumentParser(
        prog="python -m coachops.store.admin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    ensure = commands.add_parser("ensure", help="create each NAME (role and database) if missing")
    ensure.add_argument(
        "--password",
        default=configured.db_password or None,
        help="password to set on each role (default: $COACHOPS_DB_PASSWORD)",
    )
    drop = commands.add_parser("drop", help="drop each database NAME (the role is kept)")
    for command in (ensure, drop):
        command.add_argument("--admin-url", required=True, help="superuser connection URL")
        command.add_argument("names", nargs="+", metavar="NAME")
    args = parser.parse_args(argv)
    for name in args.names:
        if args.command == "ensure":
            ensure_role_and_database(args.admin_url, name, name, args.password)
            print(f"ensured {name}")
        else:
            drop_database(args.admin_url, name)
            print(f"dropped {name}")
    return 0


if __name__ == "__main__":
    cli.run(main)
