"""Reading the CSV files district IT and coaches upload, as their authors count lines:
one reader for every such file (a coach's time, district IT's history imports), whose
problems come back all at once as ``{line, field, reason}``, the file refused whole."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError

from coachops.commands import field_errors
from coachops.errors import Rejected

MAX_ERRORS = 200  # shown of a file's problems; the rest are counted
Key = TypeVar("Key", bound=Hashable)


@dataclass
class Problems:
    """Every problem found in a file, by line and column (``None``: the whole file)."""

    found: list[dict[str, Any]] = field(default_factory=list)

    def add(self, line: int | None, column: str | None, reason: str) -> None:
        self.found.append({"line": line, "field": column, "reason": reason})

    def loaded(self, schema: Schema, line: int, cells: dict[str, Any]) -> dict[str, Any] | None:
        """A line's cells as ``schema`` loads them, or ``None`` with each refusal added by
        its column (a list's item by the list's column)."""
        try:
            return dict(schema.load(cells))
        except ValidationError as error:
            for each in field_errors(error.messages):
                self.add(line, each["field"].split(".")[0], each["reason"])
            return None

    def reject(self) -> Rejected:
        shown = self.found[:MAX_ERRORS]
        if len(self.found) > MAX_ERRORS:
            shown.append({"line": None, "field": None,
                          "reason": f"{len(self.found) - MAX_ERRORS} more problems not shown"})
        count = len(self.found)
        return Rejected(f"nothing was imported: the file has {count} problem{'s' * (count != 1)}",
                        errors=shown, name="ImportRejected")


def loaded_once(problems: Problems, schema: Schema, rows: Iterable[tuple[int, dict[str, str]]],
                shaped: Callable[[dict[str, str]], dict[str, Any]], key: Callable[[Any], Key],
                column: str, again: str) -> Iterator[tuple[int, dict[str, Any], Key]]:
    """Each row's cells ``shaped`` and loaded by ``schema``, with what it is about (``key``):
    a row about what an earlier row is about is refused in ``column``, ``again`` saying so
    (its ``{line}``: the earlier row's line), as is a row the schema refuses."""
    seen: dict[Key, int] = {}
    for line, cells in rows:
        row = problems.loaded(schema, line, shaped(cells))
        if row is None:
            continue
        about = key(row)
        if about in seen:
            problems.add(line, column, again.format(line=seen[about]))
            continue
        seen[about] = line
        yield line, row, about


def non_blank(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each row of a ``csv.reader`` that has a cell with something in it, with the line it
    starts on: a quoted cell may span lines, so a row's number is not its line's. A
    ``csv.Error`` comes through, with ``reader.line_num`` where it was found."""
    previous = 0  # the line the last row read ends on
    for cells in reader:
        start, previous = previous + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def named_rows(text: str, problems: Problems, columns: Sequence[str], required: Sequence[str],
               max_rows: int, what: str, too_many: str = "",
               header_rule: Callable[[list[str], int, Problems], None] | None = None,
               ) -> list[tuple[int, dict[str, str]]]:
    """A CSV file with a header row, each row as ``{column: value}`` (blank cells left out)
    with the line it starts on. Column names are read as people write them (any case,
    spaces for underscores); a column without a name is skipped (spreadsheets export empty
    trailing ones). An unknown, doubled or missing column (and what ``header_rule`` finds),
    a row longer than the header, more than ``max_rows`` ``what`` (``too_many`` says what to
    do then), an empty or unreadable file go to ``problems`` and read as no rows."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    header_line = 0
    try:
        for line, cells in non_blank(reader):
            if header is None:
                header, header_line = [c.strip().lower().replace(" ", "_") for c in cells], line
                _check_header(header, line, problems, columns, required)
                if header_rule is not None:
                    header_rule(header, line, problems)
                if problems.found:
                    return []
                continue
            if any(cell.strip() for cell in cells[len(header):]):
                problems.add(line, None, f"more cells than the {len(header)} columns")
                continue
            rows.append((line, {column: cell.strip()
                                for column, cell in zip(header, cells, strict=False)
                                if column and cell.strip()}))
            if len(rows) > max_rows:
                problems.add(line, None, f"a file holds at most {max_rows} {what}{too_many}")
                return []
    except csv.Error as error:
        problems.add(reader.line_num, None, f"not readable as CSV: {error}")
        return []
    if header is None:
        problems.add(1, None, f"the file is empty: it needs a header row and {what}")
    elif not rows and not problems.found:
        problems.add(header_line, None, f"the file has a header but no {what}")
    return rows


def _check_header(header: list[str], line: int, problems: Problems,
                  columns: Sequence[str], required: Sequence[str]) -> None:
    seen: set[str] = set()
    for column in filter(None, header):
        if column not in columns:
            problems.add(line, column,
                         f"unknown column {column!r}; the columns are {', '.join(columns)}")
        elif column in seen:
            problems.add(line, column, f"the column {column!r} appears twice")
        seen.add(column)
    for column in required:
        if column not in header:
            problems.add(line, column, f"the column {column!r} is missing")
