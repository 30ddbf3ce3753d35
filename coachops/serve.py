"""Start one service as ``nameko run --config deploy/nameko.yml MODULE``, with nameko's
``AMQP_URI`` the one the settings assemble (``AMQP_PASSWORD`` escaped into it), so a broker
password of any characters reaches RabbitMQ as it is.

    python -m coachops.serve services.cycles.service

nameko reads its config file before it imports the service, so the URI is put into the
environment here first; then this process becomes nameko (``exec``: same pid, same
signals), with the notices of eventlet and nameko's ``pkg_resources`` silenced before they
import, so a bad setting is one line in the log, as ``coachops.settings.start`` prints it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from coachops import settings

CONFIG = str(Path(__file__).resolve().parents[1] / "deploy" / "nameko.yml")


# What the ``nameko`` script does, after two warning filters (deprecation notices district
# IT can do nothing about; they would bury the one line a refused setting prints).
NAMEKO = ("import sys, warnings; "
          "warnings.filterwarnings('ignore', message=r'\\s*Eventlet is deprecated'); "
          "warnings.filterwarnings('ignore', message='pkg_resources is deprecated'); "
          "from nameko.cli.main import main; sys.argv[0] = 'nameko'; sys.exit(main())")


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        print("usage: python -m coachops.serve MODULE (e.g. services.cycles.service)",
              file=sys.stderr)
        raise SystemExit(settings.EXIT_STATUS)
    configured = settings.start()  # each service checks the secrets it uses once started
    # AMQP_PASSWORD may stay set: put into this URI again, it gives the same URI.
    environ = {**os.environ, "AMQP_URI": configured.amqp_uri}
    command = [sys.executable, "-c", NAMEKO, "run", "--config", CONFIG, argv[0]]
    os.execve(sys.executable, command, environ)


if __name__ == "__main__":
    main(sys.argv[1:])
