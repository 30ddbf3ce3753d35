"""RabbitMQ: the outbox relay that publishes a store's events, and the consumer side."""
