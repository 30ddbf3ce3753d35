"""Looking for a forgotten person everywhere the platform keeps anything: every table of a
database as text (byte columns decoded), and what someone holding a copy of it could
decrypt with the keys in that same copy and the district's master key (the worst case:
``tests/support/dumps.py`` shows a copy alone opens nothing)."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path
from uuid import UUID

import psycopg2
from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment
from psycopg2 import sql

from coachops.privacy import master
from coachops.store.admin import drop_database, ensure_role_and_database
from tests.support.platform import ADMIN_URL, MASTER_KEY, database_name, database_url

SEALED = re.compile(r'"_type_":"sealed","_data_":\{"by":"([0-9a-f-]{36})","ct":"([^"]+)"\}')


def database_text(service: str) -> str:
    """Every row of every table of the service's database, as text."""
    conn = psycopg2.connect(database_url(service))
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT table_schema, table_name, column_name, data_type"
                " FROM information_schema.columns WHERE table_schema NOT IN"
                " ('pg_catalog', 'information_schema') ORDER BY 1, 2, ordinal_position")
            tables: dict[tuple[str, str], list[sql.Composable]] = {}
            for schema, table, column, data_type in cursor.fetchall():
                value = (sql.SQL("encode({}, 'escape')") if data_type == "bytea"
                         else sql.SQL("{}::text")).format(sql.Identifier(column))
                tables.setdefault((schema, table), []).append(value)
            chunks = []
            for (schema, table), columns in tables.items():
                cursor.execute(sql.SQL("SELECT concat_ws(' ', {}) FROM {}").format(
                    sql.SQL(", ").join(columns), sql.Identifier(schema, table)))
                chunks.extend(row[0] or "" for row in cursor.fetchall())
            return "\n".join(chunks)
    finally:
        conn.close()


def opened_with_own_keys(service: str) -> str:
    """Every sealed value in the database that its own key table still opens, its keys
    unwrapped with the test district's master key."""
    text = database_text(service)
    conn = psycopg2.connect(database_url(service))
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass('personal_keys') IS NOT NULL")
            has_keys = cursor.fetchone()[0]
            keys: dict[str, bytes] = {}
            if has_keys:
                cursor.execute("SELECT subject_id::text, key FROM personal_keys"
                               " WHERE key IS NOT NULL")
                district = master.parse(MASTER_KEY, "the test master key")
                keys = {subject: district.unwrap(UUID(subject), bytes(key))
                        for subject, key in cursor.fetchall()}
    finally:
        conn.close()
    opened = []
    for subject, ciphertext in SEALED.findall(text):
        if subject in keys:
            env = Environment(env={"CIPHER_KEY": base64.b64encode(keys[subject]).decode()})
            opened.append(AESCipher(env).decrypt(base64.b64decode(ciphertext)).decode())
    return "\n".join(opened)


def found(markers: list[str], text: str) -> list[str]:
    lowered = text.lower()
    return [m for m in markers if m.lower() in lowered]


def logs_text(log_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(log_dir.glob("*.log")))


def restore_one(service: str, backup: Path) -> None:
    """One database replaced by its dump from ``deploy/backup.py backup``, by hand, as
    from a copy kept elsewhere (the service must be stopped)."""
    dump = backup / f"{database_name(service)}.dump"
    name = database_name(service)
    drop_database(ADMIN_URL, name)
    ensure_role_and_database(ADMIN_URL, name, name)
    subprocess.run(["pg_restore", "--no-owner", "--role", name, "--dbname", database_url(service),
                    str(dump)], check=True, timeout=120, capture_output=True)
