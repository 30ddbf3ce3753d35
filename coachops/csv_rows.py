"""Reading the CSV files district IT and coaches upload, as their authors count lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def non_blank(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each row of a ``csv.reader`` that has a cell with something in it, with the line it
    starts on: a quoted cell may span lines, so a row's number is not its line's. A
    ``csv.Error`` comes through, with ``reader.line_num`` where it was found."""
    previous = 0  # the line the last row read ends on
    for cells in reader:
        start, previous = previous + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells
