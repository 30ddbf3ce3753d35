"""The choice of suppressed cells, on tables made by hand: no suppressed cell can be
worked out from its total and the cells shown, and cells that need no suppression show."""

from __future__ import annotations

from itertools import product
from random import Random

import pytest

from services.reporting import suppression
from services.reporting.suppression import ALL, Cell, CellKey, Pattern, choose, groups

T = 3


def table(regions: dict[str, dict[str, list[int]]]) -> dict[CellKey, Cell]:
    """Cells of a district from {region: {school: [teachers of each coach]}}, one cycle
    per teacher and every teacher coached once."""
    cells: dict[CellKey, Cell] = {}

    def add(path: tuple[str, ...], teachers: int) -> None:
        old = cells.get((path, ALL), Cell(0, 0))
        cells[(path, ALL)] = Cell(old.teachers + teachers, old.cycles + teachers)

    for region, schools in regions.items():
        for school, coaches in schools.items():
            for n, teachers in enumerate(coaches):
                for path in ((), (region,), (region, school), (region, school, f"c{n}")):
                    add(path, teachers)
    return cells


def worked_out(cells: dict[CellKey, Cell], hidden: set[CellKey]) -> list[CellKey]:
    """The issue's attack on every group: a total shown less its parts shown leaves what
    its suppressed parts hold; one part alone, or parts each pinned by the threshold
    (one teacher each, or threshold - 1 each), is worked out."""
    found = []
    for total, parts, _ in groups(cells):
        if total in hidden:
            continue
        suppressed = [p for p in parts if p in hidden]
        if not suppressed:
            continue
        left = cells[total].teachers - sum(cells[p].teachers for p in parts if p not in hidden)
        if len(suppressed) == 1 or left in (len(suppressed), len(suppressed) * (T - 1)):
            found += suppressed
    return found


def test_the_issues_region_of_13_no_longer_gives_its_two_small_schools_away() -> None:
    cells = table({"r": {"a": [5], "b": [4], "c": [2], "d": [2]}, "q": {"e": [9]}})
    # Primary suppression alone: 13 - 5 - 4 = 4 between two schools under 3: 2 each.
    primary = {k for k, c in cells.items() if c.teachers < T}
    assert worked_out(cells, primary) == [(("r", "c"), ALL), (("r", "d"), ALL)]
    hidden = choose(cells, T)
    assert worked_out(cells, hidden) == []
    assert (("r", "b"), ALL) in hidden  # the smallest shown school went with them
    assert (("r", "a"), ALL) not in hidden and (("q",), ALL) not in hidden
    assert ((), ALL) not in hidden


def test_one_small_region_takes_the_smallest_other_region_with_it() -> None:
    cells = table({"r1": {"s1": [3], "s2": [1]}, "r2": {"s3": [1]}, "r3": {"s4": [7]}})
    hidden = choose(cells, T)
    assert worked_out(cells, hidden) == []
    assert {(("r2",), ALL), (("r1",), ALL)} <= hidden
    assert (("r3",), ALL) not in hidden and ((), ALL) not in hidden


def test_a_table_where_nothing_is_small_shows_every_cell() -> None:
    cells = table({"r1": {"s1": [3, 4], "s2": [5]}, "r2": {"s3": [6]}})
    assert choose(cells, T) == set()


def test_months_and_coach_school_pairs_together_leave_nothing_derivable() -> None:
    """A school of two coaches over two months: one coach's cells are small in one month,
    the other's in the other. The pattern chosen must leave every suppressed cell open:
    solving every equation (each total of parts, each total of months) over every count
    of cycles each suppressed cell could hold (at least one), each takes several values."""
    counts = {("c0", "2020-09"): 1, ("c0", "2020-10"): 4, ("c1", "2020-09"): 5,
              ("c1", "2020-10"): 2}
    cells: dict[CellKey, Cell] = {}
    for (coach, month), n in counts.items():
        for path in ((), ("r",), ("r", "s"), ("r", "s", coach)):
            for column in (ALL, month):
                old = cells.get((path, column), Cell(0, 0))
                cells[(path, column)] = Cell(old.teachers + n, old.cycles + n)
    hidden = sorted(choose(cells, T))
    assert len(hidden) == 4  # the two small cells and, around them, a cycle of four
    solutions = []
    for values in product(range(1, 13), repeat=len(hidden)):
        trial = {**{k: c.cycles for k, c in cells.items()},
                 **dict(zip(hidden, values, strict=True))}
        if all(trial[total] == sum(trial[p] for p in parts)
               for total, parts, _ in groups(cells)):
            solutions.append(values)
    for n, key in enumerate(hidden):
        assert len({s[n] for s in solutions}) > 1, key


def test_a_row_made_of_cells_is_shown_only_when_each_of_them_is() -> None:
    cells = table({"r1": {"s1": [3, 1]}, "r2": {"s2": [4]}})
    pattern = Pattern.of(cells, T)
    # c1 is small; c0, its only sibling, is suppressed with it; their school shows.
    assert pattern.hidden == {(("r1", "s1", "c0"), ALL), (("r1", "s1", "c1"), ALL)}
    assert pattern.hides({"school": "s1", "coach": "c1"}, 1)
    assert pattern.hides({"coach": "c0"}, 3)  # c0's row over every region and school
    assert not pattern.hides({"school": "s1"}, 4)
    assert not pattern.hides({"region": "r2"}, 4)


P = 2**31 - 1  # ranks over this prime field: those of these small 0/1 systems over Q


def determined(cells: dict[CellKey, Cell], hidden: set[CellKey]) -> set[CellKey]:
    """The suppressed cells that every equation of the table (each total the sum of its
    parts) pins down, by elimination: a cell is determined when a row of the reduced
    system, over the suppressed cells, is that cell alone."""
    unknown = sorted(hidden)
    column = {key: n for n, key in enumerate(unknown)}
    rows = []
    for total, parts, _ in groups(cells):
        row = [0] * len(unknown)
        for key, sign in ((total, 1), *((p, -1) for p in parts)):
            if key in column:
                row[column[key]] = (row[column[key]] + sign) % P
        rows.append(row)
    pivots = []
    for c in range(len(unknown)):
        pivot = next((r for r in range(len(pivots), len(rows)) if rows[r][c]), None)
        if pivot is None:
            continue
        n = len(pivots)
        rows[n], rows[pivot] = rows[pivot], rows[n]
        inverse = pow(rows[n][c], P - 2, P)
        rows[n] = [v * inverse % P for v in rows[n]]
        for r in range(len(rows)):
            if r != n and rows[r][c]:
                factor = rows[r][c]
                rows[r] = [(a - factor * b) % P for a, b in zip(rows[r], rows[n], strict=True)]
        pivots.append(c)
    return {unknown[c] for n, c in enumerate(pivots) if sum(1 for v in rows[n] if v) == 1}


def test_in_random_districts_no_suppressed_cell_is_pinned_down() -> None:
    """Districts of two regions, two schools each, two coaches each, over three months,
    with random small numbers of teachers: every suppressed cell is left undetermined by
    all the equations together, and each shown total leaves its suppressed parts more
    than one cycle each."""
    random = Random(17)
    for _ in range(150):
        cells: dict[CellKey, Cell] = {}
        for leaf in product(("r1", "r2"), ("s1", "s2"), ("c1", "c2")):
            path = (leaf[0], f"{leaf[0]}{leaf[1]}", f"{leaf[0]}{leaf[1]}{leaf[2]}")
            for month in ("2020-09", "2020-10", "2020-11"):
                n = random.choice((0, 0, 1, 1, 2, 3, 4))
                if not n:
                    continue
                for depth in range(4):
                    for column in (ALL, month):
                        old = cells.get((path[:depth], column), Cell(0, 0))
                        cells[(path[:depth], column)] = Cell(old.teachers + n, old.cycles + n)
        hidden = choose(cells, T)
        assert {k for k, c in cells.items() if c.teachers < T} <= hidden
        assert determined(cells, hidden) == set(), sorted(hidden)
        for total, parts, _ in groups(cells):
            suppressed = [p for p in parts if p in hidden]
            if total in hidden or not suppressed:
                continue
            left = cells[total].cycles - sum(cells[p].cycles for p in parts
                                             if p not in hidden)
            assert len(suppressed) >= 2 and left > len(suppressed), (total, suppressed)


def test_a_cell_pinned_only_by_several_groups_together_gets_a_neighbour(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One region of three schools of three coaches, over three months (teachers of each
    school, coach and month): every group alone is safe after rules 1 to 3, yet together
    they determine a cell; rule 4 suppresses one more."""
    counts = {(0, 0, 0): 2, (0, 0, 2): 1, (0, 1, 0): 8, (0, 1, 2): 4, (0, 2, 0): 3,
              (0, 2, 1): 3, (0, 2, 2): 1, (1, 0, 2): 1, (1, 1, 0): 5, (1, 1, 1): 3,
              (1, 1, 2): 5, (1, 2, 0): 5, (1, 2, 2): 4, (2, 0, 0): 4, (2, 0, 1): 8,
              (2, 0, 2): 2, (2, 1, 2): 4, (2, 2, 0): 8, (2, 2, 1): 8}
    cells: dict[CellKey, Cell] = {}
    for (school, coach, month), n in counts.items():
        path = ("r", f"s{school}", f"s{school}c{coach}")
        for depth in range(4):
            for column in (ALL, f"2020-{9 + month:02d}"):
                old = cells.get((path[:depth], column), Cell(0, 0))
                cells[(path[:depth], column)] = Cell(old.teachers + n, old.cycles + n)
    assert determined(cells, choose(cells, T)) == set()
    with monkeypatch.context() as without_rule_4:
        without_rule_4.setattr(suppression, "_bridging", lambda cells, hidden: [])
        assert determined(cells, choose(cells, T)) != set()
