"""The choice of suppressed cells, on tables made by hand: no suppressed cell can be
worked out from its total and the cells shown, and cells that need no suppression show."""

from __future__ import annotations

from itertools import product

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
