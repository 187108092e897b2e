"""The performance goals, each read off a benchmark report, marked met or not, with the command that measures it.

A goal stated at a size of events (10M, 100M) is met or not only when that size was run; otherwise its figure at
the largest smaller size run is shown, and whether it is met is left open.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from pathlib import Path

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_SHOWN = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}
#: The README block that `update_readme` rewrites.
README_START, README_END = "<!-- bench:goals:start -->", "<!-- bench:goals:end -->"


@dataclass(frozen=True)
class Goal:
    """One goal: a figure of the report compared with a limit."""

    key: str
    text: str
    compare: str  # one of <, <=, >, >=
    limit: float
    unit: str
    size: int | None = None  # the events it is stated at; None when it does not depend on the size

    @property
    def command(self) -> str:
        """The command that measures it."""
        return f"BENCH_SIZES={self.size} make bench" if self.size else "make bench"

    @property
    def target(self) -> str:
        """The limit as text, e.g. ``≤ 30 s``."""
        return f"{_SHOWN[self.compare]} {_number(self.limit)} {self.unit}".rstrip()


GOALS = (
    Goal("chapters_10m", "five chapters, client edition, --jobs 2, at 10M events: wall", "<=", 30, "s", 10_000_000),
    Goal("chapters_100m", "five chapters, client edition, --jobs 2, at 100M events: wall", "<=", 300, "s",
         100_000_000),
    Goal("memory_100m", "the same run at 100M: summed peak memory of its process tree", "<", 4096, "MiB",
         100_000_000),
    Goal("vs_polars", "four outputs at 10M: polars' time ÷ socialops' (faster than polars)", ">", 1, "×",
         10_000_000),
    Goal("vs_duckdb_sql", "four outputs at 10M: DuckDB SQL's time ÷ socialops' (faster than SQL)", ">", 1, "×",
         10_000_000),
    Goal("vs_pandas", "four outputs at 10M: pandas' time ÷ socialops'", ">=", 5, "×", 10_000_000),
    Goal("vs_floor", "four outputs at 10M: socialops' time ÷ the one-scan floor's", "<=", 2, "×", 10_000_000),
    Goal("bgnbd_vs_lifetimes", "BG/NBD summary at 10M: lifetimes' time ÷ socialops'", ">=", 10, "×", 10_000_000),
    Goal("fit_bgnbd", "BG/NBD fit of a million customers (the fit alone)", "<", 2, "s"),
    Goal("samples", "five chapters on the samples, --jobs 2: wall", "<=", 15, "s"),
)


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value < 100 else f"{value:,.0f}"


def _wall(entry: dict, tool: str) -> float | None:
    result = entry.get(tool) or {}
    return None if "error" in result or "skipped" in result else result.get("wall_s")


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num and den else None


def _chapters(entry: dict, field: str) -> float | None:
    run = entry.get("chapters") or {}
    return None if "error" in run else run.get(field)


#: How each goal's figure is read off one size's entry of the report.
_AT_SIZE = {
    "chapters_10m": lambda e: _chapters(e, "wall_s"),
    "chapters_100m": lambda e: _chapters(e, "wall_s"),
    "memory_100m": lambda e: _chapters(e, "peak_tree_rss_mb"),
    "vs_polars": lambda e: _ratio(_wall(e, "polars"), _wall(e, "socialops")),
    "vs_duckdb_sql": lambda e: _ratio(_wall(e, "duckdb_sql"), _wall(e, "socialops")),
    "vs_pandas": lambda e: _ratio(_wall(e, "pandas"), _wall(e, "socialops")),
    "vs_floor": lambda e: _ratio(_wall(e, "socialops"), _wall(e, "floor")),
    "bgnbd_vs_lifetimes": lambda e: _ratio(_wall(e, "lifetimes"), _wall(e, "socialops_bgnbd")),
}


def _figure(goal: Goal, report: dict) -> tuple[float | None, int | None, bool]:
    """The goal's figure, the events it was read at (None: it does not depend on them), and whether at its size."""
    if goal.key == "fit_bgnbd":
        fit = (report.get("fits") or {}).get("bgnbd") or {}
        return (None if "error" in fit else fit.get("fit_s")), None, True
    if goal.key == "samples":
        run = report.get("samples") or {}
        return (None if "error" in run else run.get("wall_s")), None, True
    sizes = sorted((int(size), entry) for size, entry in (report.get("sizes") or {}).items())
    exact = [entry for size, entry in sizes if size == goal.size]
    candidates = exact or [entry for size, entry in reversed(sizes) if size < goal.size]
    for entry in candidates:
        value = _AT_SIZE[goal.key](entry)
        if value is not None:
            return value, entry.get("rows"), bool(exact)
    return None, None, False


def evaluate(report: dict, goals=GOALS) -> list[dict]:
    """Each goal with its figure in `report` and whether it is met.

    Returns
    -------
    list of dict
        Per goal: ``key``, ``goal`` (its text), ``target``, ``measured`` (the figure, rounded; None when not
        measured), ``at_events`` (events of the run it was read from, None for the goals that do not depend on
        them), ``met`` (True, False, or None when not measured at the goal's size) and ``command``.
    """
    rows = []
    for goal in goals:
        value, events, at_goal_size = _figure(goal, report)
        met = None if value is None or not at_goal_size else bool(_COMPARE[goal.compare](value, goal.limit))
        rows.append({"key": goal.key, "goal": goal.text, "target": goal.target,
                     "measured": None if value is None else round(value, 3), "unit": goal.unit,
                     "at_events": events, "met": met, "command": goal.command})
    return rows


def _measured(row: dict) -> str:
    if row["measured"] is None:
        return "not measured"
    text = f"{_number(row['measured'])} {row['unit']}".rstrip()
    return text if row["at_events"] is None else f"{text} at {row['at_events'] / 1e6:.3g}M events"


def _met(row: dict) -> str:
    return {True: "yes", False: "no", None: "—"}[row["met"]]


def goals_table(rows: list[dict]):
    """The goals as a rich table for the terminal."""
    from rich.table import Table

    table = Table(title="performance goals (— : not measured at the goal's size)")
    for col in ("goal", "target", "measured", "met", "command"):
        table.add_column(col, justify="right" if col in ("target", "measured") else "left")
    for row in rows:
        table.add_row(row["goal"], row["target"], _measured(row), _met(row), row["command"])
    return table


def markdown_table(rows: list[dict]) -> str:
    """The goals as a Markdown table."""
    lines = ["| goal | target | measured | met | measured by |", "|---|---|---|---|---|"]
    lines += [f"| {r['goal']} | {r['target']} | {_measured(r)} | {_met(r)} | `{r['command']}` |" for r in rows]
    return "\n".join(lines)


def update_readme(path: Path, rows: list[dict], machine: dict, date: str, events: list[int] = ()) -> bool:
    """Rewrite the goals block of the README at `path` (between `README_START` and `README_END`).

    `events` are the sizes run (their rows), named in the block's first line with the machine and its load.

    Returns
    -------
    bool
        False when the README has no such block (nothing written).
    """
    text = Path(path).read_text(encoding="utf-8")
    block = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    if not block.search(text):
        return False
    load = "–".join(str(machine.get(k, ["?"])[0]) for k in ("load_average_start", "load_average_end"))
    sizes = ", ".join(f"{rows / 1e6:.3g}M" for rows in events) or "none"
    intro = (f"Measured by `make bench` on {date} (events: {sizes}): {machine.get('cpus')} cores, "
             f"{machine.get('memory_gb')} GB, load average {load}, DuckDB {machine.get('duckdb')}, "
             f"polars {machine.get('polars')}.")
    body = f"{README_START}\n{intro}\n\n{markdown_table(rows)}\n{README_END}"
    Path(path).write_text(block.sub(lambda _: body, text), encoding="utf-8")
    return True
