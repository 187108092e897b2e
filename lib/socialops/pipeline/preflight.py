"""Checks that must pass before any kernel starts (exit 2 otherwise).

The data contract checks each table on its own, and the parameter reader each value on its own; some problems
only show when a chapter's parameters meet one another, such as an onset bar above the alarm's (each chapter's
``params_check.py``), or meet the data, such as an A/B test whose control variant is named in neither, or an
``as_of`` outside the dates of the chapter's main table (checked by `socialops.inputs.window.resolve_as_of`, as
the report itself does).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from socialops.report.format import currency_problems


def _ab_testing(data_dir: Path, params: dict) -> list[str]:
    from socialops.ab_testing import ControlNotFoundError, choose_control
    from socialops.ab_testing.params_check import split_variant_problems
    from socialops.inputs.workspace import open_workspace

    with open_workspace(data_dir, ["experiment"], engine=params.get("engine", "duckdb")) as workspace:
        table = workspace.table("experiment")
        pairs = table.select("experiment_id", "variant").distinct().to_pandas()
    variants = {str(e): sorted(g["variant"].astype(str)) for e, g in pairs.groupby("experiment_id", sort=True)}
    problems = []
    for experiment_id, names in variants.items():
        try:
            choose_control(names, params["control"], experiment_id)
        except ControlNotFoundError as error:
            problems.append(str(error))
    return problems + split_variant_problems(params.get("splits"), variants)


#: Checks of a chapter's data against its parameters.
CHECKS: dict[str, Callable[[Path, dict], list[str]]] = {"03_ab_testing": _ab_testing}
#: Chapters whose parameters are also checked together, by ``check_params`` of the chapter's ``params_check.py``
#: (imported only for the chapter that runs).
PARAM_CHECKS: dict[str, str] = {
    "01_platform_matrix": "socialops.platform_matrix.params_check",
    "03_ab_testing": "socialops.ab_testing.params_check",
    "05_crisis_postmortem": "socialops.crisis.params_check",
}


def as_of_problems(chapter: str, data_dir: Path, params: dict) -> list[str]:
    """An ``as_of`` outside the span of the chapter's main table, as one message naming the span; else nothing.

    Parameters
    ----------
    chapter : str
        Chapter id.
    data_dir : Path
        The (already validated) data folder.
    params : dict
        The chapter's resolved parameter values; without an ``as_of`` the data are not read.

    Returns
    -------
    list of str
    """
    if not str(params.get("as_of") or "").strip():
        return []
    from socialops.inputs.contract import present_tables
    from socialops.inputs.tables import chapter_tables
    from socialops.inputs.window import resolve_as_of
    from socialops.inputs.workspace import open_workspace

    engine = params.get("engine", "duckdb")
    table = chapter_tables(chapter).main_table(present_tables(data_dir, engine=engine))
    with open_workspace(data_dir, [table], engine=engine) as workspace:
        try:
            resolve_as_of(params["as_of"], workspace, table)
        except ValueError as error:
            return [str(error)]
    return []


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
    problems = import_module(PARAM_CHECKS[chapter]).check_params(params) if chapter in PARAM_CHECKS else []
    if "currency" in params:  # every chapter that shows amounts names them in this ISO 4217 code
        problems += currency_problems(params["currency"])
    problems += as_of_problems(chapter, data_dir, params)
    check_chapter = CHECKS.get(chapter)
    return problems + (check_chapter(data_dir, params) if check_chapter else [])
