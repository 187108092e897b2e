"""Checks of data against parameters that must pass before any kernel starts (exit 2 otherwise).

The data contract checks each table on its own; some problems only show when a chapter's parameters meet the
data, such as an A/B test whose control variant is named in neither.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def _ab_testing(data_dir: Path, params: dict) -> list[str]:
    from socialops.ab_testing import ControlNotFoundError, choose_control
    from socialops.inputs.workspace import open_workspace

    with open_workspace(data_dir, ["experiment"], engine=params.get("engine", "duckdb")) as workspace:
        table = workspace.table("experiment")
        pairs = table.select("experiment_id", "variant").distinct().to_pandas()
    problems = []
    for experiment_id, group in pairs.groupby("experiment_id", sort=True):
        try:
            choose_control(sorted(group["variant"].astype(str)), params["control"], str(experiment_id))
        except ControlNotFoundError as error:
            problems.append(str(error))
    return problems


CHECKS: dict[str, Callable[[Path, dict], list[str]]] = {"03_ab_testing": _ab_testing}


def check(chapter: str, data_dir: Path, params: dict) -> list[str]:
    """Problems that stop ``chapter`` from running on ``data_dir`` with ``params``; empty when there are none.

    Parameters
    ----------
    chapter : str
        Chapter id.
    data_dir : Path
        The (already validated) data folder.
    params : dict
        The chapter's resolved parameter values.

    Returns
    -------
    list of str
        One message per problem, naming what to change.
    """
    check_chapter = CHECKS.get(chapter)
    return check_chapter(data_dir, params) if check_chapter else []
