"""The end-to-end performance benchmark: ``python -m bench`` (see bench/README.md)."""
