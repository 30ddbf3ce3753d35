"""Rows of an uploaded CSV file numbered as its author sees the lines."""

from __future__ import annotations

import csv
import io

import pytest

from coachops.csv_rows import non_blank


def rows(text: str) -> list[tuple[int, list[str]]]:
    return list(non_blank(csv.reader(io.StringIO(text, newline=""))))


def test_blank_lines_are_left_out_and_counted() -> None:
    assert rows("a,b\n\n1,2\n , \n3,4\n") == [(1, ["a", "b"]), (3, ["1", "2"]), (5, ["3", "4"])]


def test_a_row_is_numbered_by_the_line_it_starts_on() -> None:
    text = 'a,note\n1,"two\nlines"\n2,one\n'
    assert rows(text) == [(1, ["a", "note"]), (2, ["1", "two\nlines"]), (4, ["2", "one"])]


def test_an_unreadable_row_says_where() -> None:
    reader = csv.reader(io.StringIO('a\n"x"y\n', newline=""), strict=True)
    with pytest.raises(csv.Error):
        list(non_blank(reader))
    assert reader.line_num == 2
