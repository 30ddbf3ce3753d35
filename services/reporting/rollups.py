"""The time rollups reports read instead of the time facts: their tables, the trigger that
keeps them in each fact's own transaction, and the statements that make them at once (an
as-of report, a rebuild, a bulk load)."""

from __future__ import annotations

# The time rollups reports read instead of the facts, kept by a trigger on time_facts in
# the fact's own transaction (below), at three grains: per coach, school and region (for
# the coach levels and any coach's scope), per school and per region (so the school,
# region, district and month levels read a few hundred rows, not every coach's). Each
# grain has a monthly table (minutes and aligned minutes per category and month, for
# whole months) and a daily one (the same per day, on the days that have minutes): a
# range's whole months are read from the first, its partial months at either end (at most
# two) summed from the second. A fact changes one row of each table per grain; the daily
# tables once held the month to date on every day to the month's end, so that one fact
# rewrote up to 31 rows per grain.
GRAINS: dict[str, tuple[str, ...]] = {
    "time": ("coach_id", "school_id", "region_id"),
    "school_time": ("school_id", "region_id"),
    "region_time": ("region_id",),
}
ROLLUPS = tuple(f"{grain}_{period}" for grain in GRAINS for period in ("month", "day"))
GRAIN_COLUMNS = {"coach_id": "uuid NOT NULL", "school_id": "uuid NOT NULL", "region_id": "uuid"}
ROLLUP_TABLES = {
    f"{grain}_{period}": "".join(f"{c} {GRAIN_COLUMNS[c]}, " for c in columns)
    + f"{period} date NOT NULL, category_id text NOT NULL, category_kind text NOT NULL,"
      " minutes bigint NOT NULL, aligned_minutes bigint NOT NULL"
    for grain, columns in GRAINS.items() for period in ("month", "day")
}

def _key(grain: str, period: str) -> str:
    return f"({period}, {', '.join(GRAINS[grain])}, category_id)"


def _same_group(alias: str, grain: str) -> str:
    """``alias``'s row is in the group of the change ``c`` at ``grain`` (region may be
    null)."""
    return " AND ".join(f"{alias}.{c} IS NOT DISTINCT FROM c.{c}" if c == "region_id"
                        else f"{alias}.{c} = c.{c}" for c in GRAINS[grain])


# Keys start with the month or day: reports read one span of months, or a few days, of
# every group in scope. Each index also holds every other column a report reads, so that
# read is an index-only scan (at 10M facts, a district's coaches over a school year are
# 32,000 month rows): the heap is not visited for pages the visibility map marks
# all-visible, which a VACUUM after a bulk load or rebuild sets. The price: an upsert that
# changes the minutes is no HOT update.
# And autovacuum visits a rollup after 1% of it changed (PostgreSQL's default is 20%), so
# that the visibility map stays current on the recent rows every entry rewrites and every
# report reads: at 10M facts the default left this school year's coach-day rows unvisited,
# and a district's mid-month report fetched 95,000 of them from the heap (45 of its 96 ms).
ROLLUP_STORAGE = ("autovacuum_vacuum_scale_factor = 0.01,"
                  " autovacuum_vacuum_insert_scale_factor = 0.01")
ROLLUP_INDEXES = "".join(
    f"CREATE UNIQUE INDEX IF NOT EXISTS {grain}_{period}_covering ON {grain}_{period}"
    f" {_key(grain, period)} INCLUDE (category_kind, minutes, aligned_minutes)"
    f" NULLS NOT DISTINCT;\n"
    for grain in GRAINS for period in ("month", "day"))

# The trigger works per statement, on the rows it added and removed (``added``,
# ``removed``: time_facts[]), so a batch of facts is one upsert per rollup whatever its
# size: each group's change per category and month (or day) is summed first. A change
# that nets to nothing leaves its rows alone.
CHANGES = """(SELECT c.*, c.minutes * c.sign AS delta,
          CASE WHEN c.aligned THEN c.minutes * c.sign ELSE 0 END AS aligned_delta
      FROM (SELECT a.*, 1 AS sign FROM unnest(added) a
            UNION ALL SELECT r.*, -1 FROM unnest(removed) r) c)"""


def _apply(grain: str) -> str:
    """The statements of the rollup trigger for one grain."""
    columns = ", ".join(f"c.{c}" for c in GRAINS[grain])
    changed = "HAVING sum(c.delta) <> 0 OR sum(c.aligned_delta) <> 0"
    same = {"month": _same_group("m", grain), "day": _same_group("t", grain)}
    return f"""
  INSERT INTO {grain}_month AS m SELECT {columns}, date_trunc('month', c.worked_on)::date,
      c.category_id, min(c.category_kind), sum(c.delta), sum(c.aligned_delta)
  FROM {CHANGES} c
  GROUP BY {columns}, date_trunc('month', c.worked_on), c.category_id {changed}
  ON CONFLICT {_key(grain, "month")} DO UPDATE SET minutes = m.minutes + EXCLUDED.minutes,
      aligned_minutes = m.aligned_minutes + EXCLUDED.aligned_minutes;
  INSERT INTO {grain}_day AS t SELECT {columns}, c.worked_on, c.category_id,
      min(c.category_kind), sum(c.delta), sum(c.aligned_delta)
  FROM {CHANGES} c
  GROUP BY {columns}, c.worked_on, c.category_id {changed}
  ON CONFLICT {_key(grain, "day")} DO UPDATE SET minutes = t.minutes + EXCLUDED.minutes,
      aligned_minutes = t.aligned_minutes + EXCLUDED.aligned_minutes;
  IF cardinality(removed) > 0 THEN  -- minutes are positive: only a removal leaves a zero
    DELETE FROM {grain}_month m USING unnest(removed) c WHERE m.minutes = 0
      AND m.aligned_minutes = 0 AND m.month = date_trunc('month', c.worked_on)
      AND m.category_id = c.category_id AND {same["month"]};
    DELETE FROM {grain}_day t USING unnest(removed) c WHERE t.minutes = 0
      AND t.aligned_minutes = 0 AND t.day = c.worked_on
      AND t.category_id = c.category_id AND {same["day"]};
  END IF;"""


# What each trigger adds and removes; an update counts only the rows it changed (most
# re-placements move nothing).
ROLLUP_CHANGES = {
    "INSERT": ("ARRAY(SELECT n FROM new_rows n)", "'{}'"),
    "DELETE": ("'{}'", "ARRAY(SELECT o FROM old_rows o)"),
    "UPDATE": tuple(
        f"ARRAY(SELECT x FROM {mine} x WHERE NOT EXISTS (SELECT 1 FROM {theirs} y"
        f" WHERE y.entry_id = x.entry_id AND (y.*) IS NOT DISTINCT FROM (x.*)))"
        for mine, theirs in (("new_rows", "old_rows"), ("old_rows", "new_rows"))),
}
ROLLUP_FUNCTIONS = tuple(f"time_rollups_{op.lower()}()" for op in ROLLUP_CHANGES)
TRANSITIONS = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
               "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
ROLLUP_TRIGGER = "".join(f"""
CREATE OR REPLACE FUNCTION time_rollups_{op.lower()}() RETURNS trigger AS $$
DECLARE
  added time_facts[] := {added};
  removed time_facts[] := {removed};
BEGIN
  IF cardinality(added) + cardinality(removed) = 0 THEN RETURN NULL; END IF;
  {"".join(_apply(grain) for grain in GRAINS)}
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER time_rollups_{op.lower()} AFTER {op} ON time_facts
  REFERENCING {TRANSITIONS[op]} FOR EACH STATEMENT EXECUTE FUNCTION time_rollups_{op.lower()}();
""" for op, (added, removed) in ROLLUP_CHANGES.items())

# Each rollup made in one statement, equal to what the trigger keeps: for an as-of
# report's temporary tables (no trigger) and after a rebuild or a bulk load. The finest
# monthly and daily grains from time_facts, the coarser ones from them. Inserted in month
# (day) order, which keeps the index on (month, ...) growing at its end.
ROLLUP_MONTH = """
INSERT INTO time_month SELECT coach_id, school_id, region_id,
    date_trunc('month', worked_on)::date, category_id, category_kind, sum(minutes),
    COALESCE(sum(minutes) FILTER (WHERE aligned), 0)
FROM time_facts GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 4"""


ROLLUP_DAY = """
INSERT INTO time_day SELECT coach_id, school_id, region_id, worked_on, category_id,
    category_kind, sum(minutes), COALESCE(sum(minutes) FILTER (WHERE aligned), 0)
FROM time_facts GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 4"""


ROLLUP_ALL = ";".join((
    ROLLUP_MONTH,
    ROLLUP_DAY,
    *(f"INSERT INTO {grain}_{period} SELECT {', '.join(columns)}, {period}, category_id,"
      f" category_kind, sum(minutes), sum(aligned_minutes) FROM time_{period}"
      f" GROUP BY {', '.join(columns)}, {period}, category_id, category_kind"
      f" ORDER BY {period}"
      for grain, columns in GRAINS.items() if grain != "time"
      for period in ("month", "day")),
))
