"""Hostile values, by the kind of field they are sent in: text with NUL, lone surrogates,
right-to-left and zero-width marks, emoji, or far too long; numbers at and past the edges
of 32 and 64 bits, fractions, NaN and infinities (JSON as Python writes it); dates and
times at the calendar's edges, on Feb 29, with odd UTC offsets, or not dates at all. A
field of one kind is sometimes sent another kind's value too."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from marshmallow import fields

LONG = 100_001  # past every text field's limit (but the roster's files), inside 1 MiB
ODD_CHARS = ("\x00", "\ud800", "\udfff", "\u202e", "\u200b", "\u200d", "\ufeff", "\u0301",
             "\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "\r\n", "\x7f")

TEXTS = st.one_of(
    st.sampled_from(["\x00", "focus\x00area", "\ud800", "goal \udfff", "\u202eevil\u202c",
                     "\u200b", "\ufeff\u200d", "\U0001f600" * 50, " ", "\\u0000", "%00",
                     "a" * LONG, "\U0001f600" * (LONG // 12), "\x00" * 1000]),
    st.lists(st.one_of(st.sampled_from(ODD_CHARS), st.characters()), min_size=1,
             max_size=40).map("".join),
)
NUMBERS = st.sampled_from([
    0, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**100,
    1.5, -0.0, 1e308, float("nan"), float("inf"), float("-inf"), True])
DATES = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31", "2028-02-29", "2027-02-29", "0000-01-01",
                     "0000-01", "9999-12", "2026-13-01", "2026-00-10", "+10000-01-01",
                     "2026-12-04T00:00:00+08:06", "1-1-1"]),
    st.dates().map(lambda d: d.isoformat()),
)
_OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
DATETIMES = st.one_of(
    st.sampled_from(["0001-01-01T02:02:00+08:06", "9999-12-31T23:59:00",
                     "9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00:00Z",
                     "2028-02-29T09:30", "2027-02-29T09:30", "2026-12-04T09:30+14:00",
                     "2026-12-04T09:30-12:00", "2026-03-08T02:30", "2026-11-01T01:30",
                     "2026-12-04T24:00", "2026-12-04"]),
    st.builds(lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
              st.datetimes(), _OFFSETS),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)
TIMES = st.sampled_from(["24:00", "23:59", "00:00", "09:30+05:45", "9:5", "25:61",
                         "09:30:00.000001", "T09:30"])
UUIDS = st.sampled_from(["00000000-0000-0000-0000-000000000000",
                         "ffffffff-ffff-ffff-ffff-ffffffffffff", "0" * 10_000])
ANYTHING = st.one_of(TEXTS, NUMBERS, DATES, DATETIMES)


def _kind(field: fields.Field) -> str:
    # Subclasses first: marshmallow's Date and Time are DateTimes, its UUID a String.
    for kind, types in (("date", fields.Date), ("time", fields.Time),
                        ("datetime", fields.DateTime), ("uuid", fields.UUID),
                        ("number", (fields.Number, fields.Boolean))):
        if isinstance(field, types):
            return kind
    return "text"


# Each kind's values that broke the API once (issue 17), tried in every field every run.
KNOWN = {"text": ["\x00", "\ud800"], "uuid": ["\x00"], "number": [2**64, float("nan")],
         "date": ["0001-01-01", "9999-12-31"], "time": ["24:00"],
         "datetime": ["0001-01-01T02:02:00+08:06", "9999-12-31T23:59:00"]}


def known(field: fields.Field) -> list[Any]:
    return KNOWN[_kind(field)]


def for_field(field: fields.Field) -> st.SearchStrategy[Any]:
    """Values for ``field``: mostly hostile ones of its own kind, sometimes of another."""
    own = {"date": DATES, "time": TIMES, "datetime": DATETIMES,
           "uuid": st.one_of(UUIDS, TEXTS), "number": NUMBERS, "text": TEXTS}[_kind(field)]
    return st.one_of(own, own, own, ANYTHING)
