"""Rotate the district's master key: re-wrap every data key with a new one.

    python -m coachops.privacy.rotate --new-key-file /etc/coachops/master-2027.key

The current key comes from the services' own settings (``COACHOPS_MASTER_KEY_FILE`` or
``COACHOPS_MASTER_KEY``), the databases from theirs too (``<SERVICE>_DATABASE_URL``; or
``--database-url``, repeated). Stop the services that keep personal data first, run
this, point their setting at the new key and start them: the old key is then needed by
nothing (backups taken before the rotation still need it). Running it again changes
nothing; keys a previous release stored unwrapped are wrapped with the new key too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg2

from coachops import cli, settings
from coachops.privacy import keys, master
from coachops.store.database import one_transaction


def configured_databases() -> list[str]:
    """The databases of the services that keep keys, as the services themselves find them."""
    return [settings.current().database_url(service) for service in keys.SERVICES]


def rotate(urls: list[str], old: master.MasterKey, new: master.MasterKey,
           say: Callable[[str], None]) -> int:
    """Every database re-wrapped, each in one transaction; the keys re-wrapped in all."""
    total = 0
    for url in urls:
        with one_transaction(url) as cursor:
            name = cursor.connection.info.dbname
            keys.lock(cursor)
            cursor.execute(keys.DDL)
            count = keys.rewrap(cursor, old, new)
            keys.check_master_key(cursor, new)
        say(f"{name}: {count} keys re-wrapped with master key {new.key_id}")
        total += count
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-key-file", required=True, type=Path,
                        help="the new master key: 32 random bytes in base64")
    parser.add_argument("--database-url", action="append", dest="urls",
                        help="a database holding keys (default: the services' own)")
    args = parser.parse_args(argv)
    old = settings.start(settings.MASTER_KEY).master_key
    try:
        new = master.read_file(args.new_key_file, "--new-key-file")
        rotate(args.urls or configured_databases(), old, new,
               lambda line: print(line, flush=True))
    except (master.MasterKeyError, psycopg2.Error) as exc:
        # One line for district IT, no traceback: what is wrong and where.
        print(f"rotation failed: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    cli.run(main)
