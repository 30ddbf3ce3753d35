"""The figures of a run: each with its baseline, the ratio to it, and the target it is
held to; printed as a table and written as JSON."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    key: str
    label: str
    value: float | None
    unit: str
    baseline: float | None
    baseline_label: str
    target: str = ""  # e.g. ">= 10000"; empty: no target, measured for the record
    note: str = ""  # e.g. "bulk-loaded"

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def meets(self) -> bool | None:
        if not self.target or self.value is None:
            return None
        sign, bound = self.target.split()
        return {">=": self.value >= float(bound), "<": self.value < float(bound)}[sign]

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "meets": self.meets}


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "unit", "baseline", "ratio", "target", "pass/miss")]
    for f in figures:
        verdict = {True: "pass", False: "MISS", None: ""}[f.meets]
        label = f.label + (f" [{f.note}]" if f.note else "")
        rows.append((label, _number(f.value), f.unit,
                     f"{_number(f.baseline)} {f.baseline_label}".strip(),
                     "-" if f.ratio is None else f"{f.ratio:.3g}x", f.target, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i != 1 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def write(path: Path, figures: list[Figure], details: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"figures": [f.as_json() for f in figures], **details}
    path.write_text(json.dumps(body, indent=2, default=str) + "\n")
