"""Reading the CSV files district IT and coaches upload, as their authors count lines."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from typing import Any

# Where a file's problem is: its line (None for the whole file), its column, the reason.
Problem = Callable[[int | None, str | None, str], None]


def non_blank(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each row of a ``csv.reader`` that has a cell with something in it, with the line it
    starts on: a quoted cell may span lines, so a row's number is not its line's. A
    ``csv.Error`` comes through, with ``reader.line_num`` where it was found."""
    previous = 0  # the line the last row read ends on
    for cells in reader:
        start, previous = previous + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def named_rows(text: str, columns: Sequence[str], required: Sequence[str], max_rows: int,
               what: str, problem: Problem) -> list[tuple[int, dict[str, str]]]:
    """A CSV file with a header row, each row as ``{column: value}`` (blank cells left out)
    with its line. Column names are read as district IT writes them (any case, spaces for
    underscores). An unknown or missing column, a row longer than the header, more than
    ``max_rows`` ``what`` or an unreadable file is told to ``problem`` and reads as no rows."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    try:
        for line, cells in non_blank(reader):
            if header is None:
                header = [c.strip().lower().replace(" ", "_") for c in cells]
                unknown = [c for c in header if c and c not in columns]
                for column in unknown:
                    problem(line, column, f"unknown column {column!r}; the columns are "
                                          f"{', '.join(columns)}")
                for column in required:
                    if column not in header:
                        problem(line, column, f"the column {column!r} is missing")
                if unknown or not set(required) <= set(header):
                    return []
                continue
            if any(cell.strip() for cell in cells[len(header):]):
                problem(line, None, f"more cells than the {len(header)} columns")
                continue
            rows.append((line, {c: v.strip() for c, v in zip(header, cells, strict=False)
                                if c and v.strip()}))
            if len(rows) > max_rows:
                problem(line, None, f"a file holds at most {max_rows} {what}")
                return []
    except csv.Error as error:
        problem(reader.line_num, None, f"not readable as CSV: {error}")
        return []
    if header is None:
        problem(1, None, f"the file is empty: it needs a header row and {what}")
    return rows
