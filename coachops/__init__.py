"""What every coachops service shares: event contracts, the PostgreSQL event store,
the outbox relay and consumers on RabbitMQ, configuration and metrics.

Nothing here knows about cycles, time or agreements: that lives in ``services/``.
"""
