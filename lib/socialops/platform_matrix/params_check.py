"""Chapter 01's parameters checked together before any kernel starts: what a range alone cannot say.

Each check returns one message per problem, naming the parameter and what to give instead; the command line
refuses the run (exit 2) on any of them, and the notebook would otherwise stop halfway through the scoring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from socialops.platform_matrix.analysis import GOAL_WEIGHTS, parse_target_audience

#: The components a score can weigh: those the goals weigh.
SCORE_COMPONENTS = tuple(sorted(set().union(*GOAL_WEIGHTS.values())))


def weights_problems(weights: Mapping[str, float] | None) -> list[str]:
    """Problems of explicit score weights: unknown components, negative or non-finite weights, none above zero.

    Parameters
    ----------
    weights : mapping or None
        The ``weights`` parameter; empty or None means the goal's weights (nothing to check).

    Returns
    -------
    list of str
    """
    if not weights:
        return []
    problems = []
    unknown = sorted(set(weights) - set(SCORE_COMPONENTS))
    if unknown:
        problems.append(f"weights: unknown component{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                        f"(known: {', '.join(SCORE_COMPONENTS)})")
    bad = sorted(name for name, w in weights.items() if not math.isfinite(w) or w < 0)
    if bad:
        problems.append(f"weights: {', '.join(bad)} must be a number of 0 or more")
    elif not any(w > 0 for w in weights.values()):
        problems.append("weights: at least one weight must be above 0 (or leave weights empty to use the goal)")
    return problems


def target_problems(target_audience: Mapping[str, float] | None) -> list[str]:
    """The reason a target profile cannot be read (a key without ``dimension:bucket``, a share outside [0, 1])."""
    try:
        parse_target_audience(target_audience or {})
    except ValueError as error:
        return [f"target_audience: {error}"]
    return []


def check_params(params: Mapping[str, object]) -> list[str]:
    """Every problem of chapter 01's parameters taken together (empty when it can run with them).

    Parameters
    ----------
    params : mapping
        The chapter's resolved parameter values (each already of its type and within its range).

    Returns
    -------
    list of str
        One message per problem, naming the parameter.
    """
    return weights_problems(params.get("weights")) + target_problems(params.get("target_audience"))
