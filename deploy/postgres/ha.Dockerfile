# PostgreSQL with pg_auto_failover (pg_autoctl), for compose's `ha` profile: the monitor and
# both nodes run this image with deploy/postgres/ha.sh (README: "A PostgreSQL primary and
# standby"). The package comes from the PostgreSQL project's Debian repository, which the
# official image already uses.
FROM postgres:15
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15-auto-failover \
    && rm -rf /var/lib/apt/lists/*
# 999: the image's postgres user, who owns its data directory (PostgreSQL refuses root)
USER 999:999
