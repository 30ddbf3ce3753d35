"""The reporting service: read models projected from every service's integration events."""
