"""What every coachops service shares: event contracts, the PostgreSQL event store,
the outbox relay and consumers on RabbitMQ, configuration and metrics.

What each service decides lives in ``services/``; here are only the shapes the services
and the gateway agree on (``commands/``, ``answers.py``, ``routes.py``, ``contracts/``).
"""

import warnings

# Eventlet's notice that it is deprecated tells district IT nothing they can act on; the
# services run on it by design (nameko). Set before anything of ours imports eventlet.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
