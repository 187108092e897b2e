"""Chapter 03's parameters checked together before any kernel starts: what a type alone cannot say.

The planned split of an experiment (``splits``) feeds the sample ratio test, which divides by each variant's
share: a weight of 0, a negative one, one so large that the weights no longer add up to a finite number, or a key
that names no variant would stop that test halfway through the report. Each check returns one message per
problem, naming the parameter, the entry and the rule; the command line refuses the run (exit 2) on any of them.
A declared split that leaves out a variant shows only against the data, so `socialops.pipeline.preflight` asks
:func:`split_variant_problems` with the variants it reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

#: Largest weight of one variant in ``splits``: weights are shares on any scale (10 and 90, or 0.1 and 0.9), and
#: a bound keeps their sum finite.
MAX_SPLIT_WEIGHT = 1e9


def split_weight_problems(splits: Mapping[str, float] | None) -> list[str]:
    """Problems of the ``splits`` entries on their own: the key's form and the weight's range.

    Parameters
    ----------
    splits : mapping or None
        The ``splits`` parameter, ``{"experiment_id/variant": weight}``.

    Returns
    -------
    list of str
        One message per bad entry.
    """
    problems = []
    for key, weight in (splits or {}).items():
        experiment, sep, variant = key.partition("/")
        if not sep or not experiment.strip() or not variant.strip():
            problems.append(f"splits: {key!r} must read \"experiment_id/variant\" (an experiment and one of its "
                            "variants, separated by /)")
        elif not (math.isfinite(weight) and 0 < weight <= MAX_SPLIT_WEIGHT):
            problems.append(f"splits: {key!r} has weight {weight:g}; each variant's weight must be above 0 and at "
                            f"most {MAX_SPLIT_WEIGHT:g} (a variant that got no units still has its planned share)")
    return problems


def split_variant_problems(splits: Mapping[str, float] | None,
                           variants: Mapping[str, Sequence[str]]) -> list[str]:
    """Declared splits that leave out a variant the data hold: its planned share would be unknown.

    Parameters
    ----------
    splits : mapping or None
        The ``splits`` parameter, ``{"experiment_id/variant": weight}``.
    variants : mapping
        Each experiment of the data to its variants.

    Returns
    -------
    list of str
        One message per experiment whose declared split misses a variant (experiments not declared split
        equally, and are fine).
    """
    declared: dict[str, set[str]] = {}
    for key in splits or {}:
        experiment, _, variant = key.partition("/")
        declared.setdefault(experiment, set()).add(variant)
    problems = []
    for experiment, named in sorted(declared.items()):
        missing = sorted(set(map(str, variants.get(experiment, ()))) - named)
        if missing:
            problems.append(f"splits: the split declared for experiment {experiment!r} names no weight for "
                            f"{', '.join(missing)}; give every variant of the experiment a weight "
                            f"(\"{experiment}/{missing[0]}\": ...), or none to assume an equal split")
    return problems


def check_params(params: Mapping[str, object]) -> list[str]:
    """Every problem of chapter 03's parameters taken together (empty when it can run with them).

    Parameters
    ----------
    params : mapping
        The chapter's resolved parameter values (each already of its type and within its range).

    Returns
    -------
    list of str
        One message per problem, naming the parameter.
    """
    return split_weight_problems(params.get("splits"))
