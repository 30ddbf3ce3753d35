"""District IT appoints an IT administrator, from the machine the platform runs on: the
first one, since importing the roster (which can name the others, ``it_admin`` rows of
assignments.csv) needs an IT administrator's token::

    python -m services.agreements.appoint --sourced-id jdoe      # the id in your SIS export
    python -m services.agreements.appoint --person <roster id>  # or the roster id itself

It prints the person's roster id; then ``python -m gateway.auth issue --person <id> --role
it_admin`` gives them a token. It talks to the running agreements service over RabbitMQ
(``AMQP_URI``), so whoever runs it needs the broker's credentials, as for any operation.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import date

from nameko.standalone.rpc import ClusterRpcProxy

from coachops import cli, settings
from services.agreements.roster import roster_id


def appoint_it_admin(amqp_uri: str, person: uuid.UUID, effective_on: str | None = None) -> bool:
    """True if appointed, False if they were district IT already."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60) as cluster:
        return bool(cluster.agreements.appoint_it_admin(str(person), effective_on))


def main(argv: list[str] | None = None) -> int:
    configured = settings.start()
    parser = argparse.ArgumentParser(description="Appoint a district IT administrator.")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", type=uuid.UUID, help="their roster id")
    who.add_argument("--sourced-id", help="their sourcedId in the district's export")
    parser.add_argument("--from", dest="effective_on", type=date.fromisoformat,
                        help="YYYY-MM-DD (default: today)")
    parser.add_argument("--amqp-uri", default=configured.amqp_uri)
    args = parser.parse_args(argv)
    person = args.person or roster_id(args.sourced_id)
    on = args.effective_on.isoformat() if args.effective_on else None
    new = appoint_it_admin(args.amqp_uri, person, on)
    print(f"{person} is district IT{'' if new else ' (already)'}")
    return 0


if __name__ == "__main__":
    cli.run(main)
