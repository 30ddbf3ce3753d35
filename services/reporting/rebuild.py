"""Rebuild the reporting read models from the events reporting has received.

    python -m services.reporting.rebuild        # uses REPORTING_DATABASE_URL

Prints progress and rate. One transaction: reports keep reading the old rows until the
new ones are complete, then see them all at once (see ``projections.rebuild``).
"""

from __future__ import annotations

import argparse
import os
import sys

from coachops.store import Datastore
from services.reporting import projections

DEFAULT_URL = "postgresql://coachops_reporting@127.0.0.1:5432/coachops_reporting"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url",
                        default=os.environ.get("REPORTING_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    datastore = Datastore(args.database_url, pool_size=1)
    try:
        with datastore.transaction() as cursor:
            cursor.execute(projections.SCHEMA)
            total = projections.rebuild(
                cursor, projections.Progress(lambda line: print(line, flush=True)))
    finally:
        datastore.close()
    print(f"rebuild complete: {total} events", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
