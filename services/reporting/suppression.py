"""Which cycle cells of a report are suppressed: primary and complementary suppression.

A cell describing fewer teachers than the threshold is suppressed (primary suppression).
Alone, that is undone by subtraction: a region of 13 teachers whose shown schools hold 5
and 4 leaves 4 to its two suppressed schools, and as each holds fewer than 3, exactly 2
each. So more cells are suppressed with them (complementary, or secondary, suppression),
following the practice of US federal statistics (FCSM Statistical Policy Working Paper 22,
"Report on Statistical Disclosure Limitation Methodology", ch. 4, and the NCES Statistical
Standards, standard 4-2, on suppressing cells of tables with totals): a suppressed cell
must not be derivable, by addition and subtraction, from the totals and the cells shown.
Here, on every group of a total and its parts (a district and its regions, a region and
its schools, a school and its coach-school pairs, at each month; a total over months and
its months):

1. the parts of a suppressed total are suppressed too: else they give it back (it is their
   sum), and with the totals above it they pin down its suppressed siblings;
2. a group with its total shown never has exactly one suppressed part: the smallest shown
   part is suppressed with it (its total, when it is the only part);
3. what the suppressed parts of a shown total hold between them must not pin each of them
   down: not one cycle each, not one teacher each, not threshold - 1 teachers each when
   all are under the threshold (the issue's 2 + 2); else the smallest shown part (or the
   total) is suppressed too;
4. a combination of groups (a school's months and its coach-school pairs' months) must not
   pin a cell down either: the groups are equations, a cell an unknown in two of them, and
   a suppressed cell is derivable exactly when it is a bridge of the graph of suppressed
   cells (no cycle of suppressed cells takes it in); such a cell gets a neighbour
   suppressed, until none is left.

With rule 1 the cells shown are closed upwards, so what a report says of its suppressed
cells is, group by group, the sum each shown total leaves to them: rules 2 and 3 keep each
such sum from giving any one of them away.

The pattern is chosen once for the whole district and period, whoever asks: a principal's,
a CLT representative's and the council's reports of the same period show the same cells
suppressed, so none of them undoes another. A row of a report that is not one cell of the
district's table (a coach's total over schools, a school that changed region) is shown
only if every cell it is made of is shown. Plan alignment counts a cycle in the month it
started, so a report of whole months of one school year uses the pattern of that whole
school year: the months asked for alone and the year are the same cells.

Limits: the counts protected are the teachers and cycles of a cell; its other counts
(phases, outcomes, next steps) are protected as a sum of several cells, as in any table
published with cell suppression (a sum of zero says each is zero). Reports of periods that
overlap but are not whole months of one school year are protected each on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from psycopg2.extensions import cursor as Cursor

from coachops import settings

SUPPRESSED: dict[str, bool] = {"suppressed": True}


def suppression_threshold() -> int:
    """Fewest teachers a school or region cell may describe (district configuration)."""
    return settings.current().reporting_suppression_threshold


GEO = ("region", "school", "coach")  # a cell's path: () the district, then these in turn
ALL = "all"  # the column of a cell over the whole period (else a month, "YYYY-MM")

Path = tuple[str, ...]
CellKey = tuple[Path, str]
Group = tuple[CellKey, list[CellKey], bool]  # total, parts, teachers add up across parts


@dataclass(frozen=True)
class Cell:
    teachers: int
    cycles: int


# The district's table of cycle cells: every prefix of (region, school, coach), with and
# (when ``months``) without the month, in one pass over the cycles.
LATTICE = """
SELECT GROUPING({grouped}), {columns}, count(DISTINCT cycle_id), count(DISTINCT teacher_id)
FROM (SELECT c.cycle_id, COALESCE(c.region_id::text, 'unassigned') AS region,
             c.school_id::text AS school, c.coach_id::text AS coach{month},
             t.teacher_id
      FROM ({cycles}) c LEFT JOIN LATERAL unnest(c.teacher_ids) t (teacher_id) ON true) u
GROUP BY GROUPING SETS ({sets})"""


def lattice(cursor: Cursor, cycles: str, params: dict[str, Any], months: bool,
            depth: int = len(GEO)) -> dict[CellKey, Cell]:
    """Every cell of the district's table over the rows of ``cycles`` (SQL with columns
    cycle_id, region_id, school_id, coach_id, teacher_ids, and ``month`` when ``months``),
    down to ``depth`` (3: coach-school pairs; 2: schools, when a report shows no pairs)."""
    geo = GEO[:depth]
    grouped = [*geo, *(["month"] if months else [])]
    prefixes = [geo[:n] for n in range(depth + 1)]
    sets = [p + extra for p in prefixes for extra in ([(), ("month",)] if months else [()])]
    cursor.execute(LATTICE.format(
        grouped=", ".join(grouped), columns=", ".join(grouped),
        month=", to_char(c.month, 'YYYY-MM') AS month" if months else "", cycles=cycles,
        sets=", ".join(f"({', '.join(s)})" for s in sets)), params)
    cells = {}
    for bits, *values in cursor.fetchall():
        cycle_count, teacher_count = values[-2:]
        present = [not bits & (1 << (len(grouped) - 1 - n)) for n in range(len(grouped))]
        path = tuple(str(v) for v, here in zip(values[:depth], present, strict=False)
                     if here)
        column = values[depth] if months and present[-1] else ALL
        cells[(path, column)] = Cell(teachers=teacher_count, cycles=cycle_count)
    return cells


def groups(cells: Iterable[CellKey]) -> list[Group]:
    """Each total and its parts: a cell and its children, column by column; a cell over
    the whole period and its months."""
    parts: dict[CellKey, list[CellKey]] = defaultdict(list)
    months: dict[CellKey, list[CellKey]] = defaultdict(list)
    for path, column in cells:
        if path:
            parts[(path[:-1], column)].append((path, column))
        if column != ALL:
            months[(path, ALL)].append((path, column))
    return ([(total, sorted(p), True) for total, p in parts.items()]
            + [(total, sorted(p), False) for total, p in months.items()])


def choose(cells: dict[CellKey, Cell], threshold: int) -> set[CellKey]:
    """The cells to suppress: those under ``threshold`` teachers and their complements."""
    hidden = {key for key, cell in cells.items() if cell.cycles and cell.teachers < threshold}
    every = groups(cells)
    member: dict[CellKey, list[Group]] = defaultdict(list)
    for group in every:
        for key in (group[0], *group[1]):
            member[key].append(group)
    pending = list(every)
    while True:
        while pending:
            group = pending.pop()
            if _pinned(group, cells, hidden, threshold):
                added = _complement(group, cells, hidden)
                if added is not None:
                    hidden.add(added)
                    pending.extend(member[added])
        added_any = False
        for extra in _bridging(cells, hidden):
            if extra not in hidden:
                hidden.add(extra)
                pending.extend(member[extra])
                added_any = True
        if not added_any:
            return hidden


def _size(cells: dict[CellKey, Cell], key: CellKey) -> tuple[int, int, CellKey]:
    return cells[key].teachers, cells[key].cycles, key


def _pinned(group: Group, cells: dict[CellKey, Cell], hidden: set[CellKey],
            threshold: int) -> bool:
    """Rules 1 to 3: could a suppressed cell of the group be worked out from it?"""
    total, parts, additive = group
    hidden_parts = [p for p in parts if p in hidden]
    shown = [p for p in parts if p not in hidden]
    if total in hidden:
        return bool(shown)  # rule 1
    if not hidden_parts:
        return False
    if len(hidden_parts) == 1:
        return True  # rule 2
    n = len(hidden_parts)
    if cells[total].cycles - sum(cells[p].cycles for p in shown) <= n:
        return True  # one cycle each
    if not additive:
        return False  # a teacher coached in two months is one teacher of the total
    teachers = cells[total].teachers - sum(cells[p].teachers for p in shown)
    all_small = all(cells[p].teachers < threshold for p in hidden_parts)
    return teachers <= n or (all_small and teachers >= n * (threshold - 1))


def _complement(group: Group, cells: dict[CellKey, Cell],
                hidden: set[CellKey]) -> CellKey | None:
    """The smallest shown part of the group, or its total when every part is
    suppressed."""
    total, parts, _ = group
    shown = [p for p in parts if p not in hidden]
    if shown:
        return min(shown, key=lambda p: _size(cells, p))
    return total if total not in hidden else None


# Rule 4 -----------------------------------------------------------------------------------

OUTSIDE = ("outside",)  # the end of a cell in one equation only: a free end


def _ends(key: CellKey, months: bool, depth: int) -> tuple[Any, Any]:
    """The two equations a cell is an unknown of. The month groups of the coach-school
    cells imply every other month group, so only theirs are equations here, and then
    every cell is in at most two."""
    path, column = key
    above = ("sum", path[:-1], column) if path else OUTSIDE
    if len(path) < depth:
        below: Any = ("sum", path, column)
    else:
        below = ("months", path) if months else OUTSIDE
    return above, below


def _bridging(cells: dict[CellKey, Cell], hidden: set[CellKey]) -> list[CellKey]:
    """For each suppressed cell that could still be worked out (a bridge of the graph of
    suppressed cells), the smallest shown cell that would take it into a cycle."""
    months = any(column != ALL for _, column in cells)
    depth = max((len(path) for path, _ in cells), default=0)
    graph = _Graph()
    for key in sorted(hidden):
        graph.add(key, *_ends(key, months, depth))
    extras = []
    for key in graph.bridges():
        a, b = _ends(key, months, depth)
        side = graph.reach(a, key)
        if OUTSIDE in side:
            side = graph.reach(b, key)
        leaving = [other for other in cells if other not in hidden
                   and len({*_ends(other, months, depth)} & side) == 1]
        if leaving:
            extras.append(min(leaving, key=lambda o: _size(cells, o)))
    return extras


@dataclass
class _Graph:
    """An undirected multigraph, equations as nodes and suppressed cells as edges."""

    edges: dict[CellKey, tuple[Any, Any]] = field(default_factory=dict)
    adjacent: dict[Any, list[tuple[Any, CellKey]]] = field(
        default_factory=lambda: defaultdict(list))

    def add(self, key: CellKey, a: Any, b: Any) -> None:
        self.edges[key] = (a, b)
        self.adjacent[a].append((b, key))
        self.adjacent[b].append((a, key))

    def reach(self, start: Any, without: CellKey) -> set[Any]:
        seen, stack = {start}, [start]
        while stack:
            for other, key in self.adjacent[stack.pop()]:
                if key != without and other not in seen:
                    seen.add(other)
                    stack.append(other)
        return seen

    def bridges(self) -> list[CellKey]:
        """Tarjan's bridges, iteratively (a district's table is deeper than the stack)."""
        order: dict[Any, int] = {}
        low: dict[Any, int] = {}
        found: list[CellKey] = []
        for root in list(self.adjacent):
            if root in order:
                continue
            order[root] = low[root] = len(order)
            stack: list[tuple[Any, CellKey | None, Iterator[tuple[Any, CellKey]]]] = [
                (root, None, iter(self.adjacent[root]))]
            while stack:
                node, via, neighbours = stack[-1]
                for other, key in neighbours:
                    if key == via:
                        continue
                    if other in order:
                        low[node] = min(low[node], order[other])
                    else:
                        order[other] = low[other] = len(order)
                        stack.append((other, key, iter(self.adjacent[other])))
                        break
                else:
                    stack.pop()
                    if stack:
                        parent = stack[-1][0]
                        low[parent] = min(low[parent], low[node])
                        if low[node] > order[parent]:
                            assert via is not None  # only a root is reached by no edge
                            found.append(via)
        return found


@dataclass(frozen=True)
class Pattern:
    """The suppressed cells of the district's table, and what a report's row is made of."""

    cells: dict[CellKey, Cell]
    hidden: frozenset[CellKey]
    threshold: int
    columns: tuple[str, ...] = (ALL,)  # what a row without a month is over
    depth: int = len(GEO)  # how far down the table goes

    @classmethod
    def of(cls, cells: dict[CellKey, Cell], threshold: int, columns: tuple[str, ...] = (ALL,),
           depth: int = len(GEO)) -> Pattern:
        return cls(cells, frozenset(choose(cells, threshold)), threshold, columns, depth)

    def hides(self, where: dict[str, str], teachers: int) -> bool:
        """Whether a row of ``teachers`` whose cycles are those matching ``where`` (region,
        school, coach, month) is suppressed: under the threshold itself, or made of a
        suppressed cell."""
        if teachers < self.threshold or self._depth(where) > self.depth:
            return True  # small, or finer than the table (a coach's cells of cycle activity)
        return any(part in self.hidden for part in self.parts(where))

    @staticmethod
    def _depth(where: dict[str, str]) -> int:
        return max((n + 1 for n, name in enumerate(GEO) if name in where), default=0)

    def parts(self, where: dict[str, str]) -> list[CellKey]:
        depth = self._depth(where)
        columns = (where["month"],) if "month" in where else self.columns
        return [(path, column) for path in self._paths(depth, where) for column in columns
                if (path, column) in self.cells]

    def _paths(self, depth: int, where: dict[str, str]) -> list[Path]:
        if all(name in where for name in GEO[:depth]):
            return [tuple(where[name] for name in GEO[:depth])]
        # A prefix left open (a school's row over every region it was in): the paths with
        # the deepest name given (the one that set the depth), narrowed by the others.
        deepest = GEO[depth - 1]
        return [path for path in self._paths_by.get((depth, depth - 1, where[deepest]), [])
                if all(path[m] == where[name] for m, name in enumerate(GEO[:depth])
                       if name in where)]

    @cached_property
    def _paths_by(self) -> dict[tuple[int, int, str], list[Path]]:
        """Each path under (its depth, a position in it, the value there)."""
        index: dict[tuple[int, int, str], list[Path]] = defaultdict(list)
        for path in sorted({path for path, _ in self.cells}):
            for n, value in enumerate(path):
                index[(len(path), n, value)].append(path)
        return index
