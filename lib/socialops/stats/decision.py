"""The one rule that judges an experiment: ship, stop, keep running, or too few units to judge.

Every chapter that judges a test (03 for each experiment, 04 for its win-back offer) passes its comparisons of
the primary metric, variant against control, to :func:`decide`, so that one experiment read by two chapters
gets one verdict. The evidence each verdict needs is listed in :func:`decide`; the rule is applied in that
order and the first that holds wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from socialops.stats.proportions import family_alpha, sample_size

#: Verdicts, as ``Decision.verdict`` holds them.
SHIP, STOP, KEEP_RUNNING, TOO_FEW_UNITS = "ship", "stop", "keep_running", "too_few_units"
VERDICTS = (SHIP, STOP, KEEP_RUNNING, TOO_FEW_UNITS)
#: Reasons, as ``Decision.reason`` holds them (the verdict each goes with is in :func:`decide`).
REASONS = ("srm", "too_few_units", "winner", "harm", "no_effect", "underpowered")

#: Fewest units in each arm before an experiment is judged at all. Below it one unit moves an arm's rate by
#: five percentage points or more, and the intervals' coverage is not checked there (the simulations that
#: check it start at 20 units an arm).
MIN_UNITS_PER_ARM = 20
#: Defaults shared by the chapters: two-sided level, smallest change worth detecting (absolute, 0.01 = one
#: percentage point of conversion) and the power a conclusive test must have had for it.
DEFAULT_ALPHA = 0.05
DEFAULT_MDE = 0.01
DEFAULT_POWER = 0.8


@dataclass(frozen=True)
class Comparison:
    """One variant against control on the primary metric (a rate), as the rule reads it.

    ``ci_low``/``ci_high`` bound the difference variant − control; ``p_adjusted`` is the p-value after the
    correction within the metric's family (the raw p-value when the family holds one comparison).
    """

    variant: str
    n_control: int
    n_variant: int
    control_rate: float
    variant_rate: float
    ci_low: float
    ci_high: float
    p_adjusted: float


@dataclass(frozen=True)
class Decision:
    """A verdict, its reason, the variant to ship (if any) and the sizes the verdict was judged on.

    ``n_needed`` is the units per arm needed to detect the smallest change worth detecting (None when the
    control rate leaves no room for it); ``n_smallest_arm`` the units of the smallest arm.
    """

    verdict: str
    reason: str
    variant: str | None
    n_needed: int | None
    n_smallest_arm: int


def direction(p_adjusted: float, ci_low: float, ci_high: float, alpha: float = DEFAULT_ALPHA) -> int:
    """Whether a comparison shows a clear change: +1 better, −1 worse, 0 not shown.

    A change is shown when the corrected p-value is below ``alpha`` and the interval of the difference
    lies wholly on one side of 0: the test and the interval must agree (they are computed differently and
    can disagree at the margin, and with few units).
    """
    if not p_adjusted < alpha:
        return 0
    return 1 if ci_low > 0 else -1 if ci_high < 0 else 0


def units_needed(control_rate: float, comparisons: int, alpha: float = DEFAULT_ALPHA, mde: float = DEFAULT_MDE,
                 power: float = DEFAULT_POWER) -> int | None:
    """Units per arm to detect a change of ``mde`` with ``power``, each comparison at its share of ``alpha``.

    The change is planned upwards, or downwards when the rate leaves no room above; None when neither fits.
    """
    step = abs(mde) if control_rate + abs(mde) < 1 else -abs(mde)
    try:
        return sample_size(control_rate, step, family_alpha(alpha, comparisons), power)
    except ValueError:  # a control rate of 0 or 1 leaves no room for the planned change
        return None


def decide(comparisons: Sequence[Comparison], *, srm_mismatch: bool = False, alpha: float = DEFAULT_ALPHA,
           mde: float = DEFAULT_MDE, power: float = DEFAULT_POWER) -> Decision:
    """Judge one experiment from its comparisons of the primary metric.

    The rule, in order; the first that holds gives the verdict:

    1. ``stop`` (reason ``srm``): the sample ratio check failed (``srm_mismatch``, decided by the caller
       against the planned split). The assignment is broken, so no comparison is read, not even the count
       of units: this overrides every verdict below.
    2. ``too_few_units`` (reason ``too_few_units``): an arm holds fewer than :data:`MIN_UNITS_PER_ARM`
       units. Nothing is concluded, whatever the p-values say.
    3. ``ship`` (reason ``winner``): at least one variant is clearly better (:func:`direction`: corrected
       p-value below ``alpha`` and the whole interval of the difference above 0); the one with the highest
       rate among them is named.
    4. ``stop`` (reason ``harm``): every variant is clearly worse (corrected p below ``alpha``, interval
       wholly below 0). Keep control.
    5. ``stop`` (reason ``no_effect``): every interval lies within ``(−mde, +mde)``, or the smallest arm
       holds the units needed to detect a change of ``mde`` with ``power`` (:func:`units_needed`, at
       ``alpha`` shared among the comparisons). A change worth having would very likely have shown.
    6. ``keep_running`` (reason ``underpowered``): none of the above; the test is too small to tell.

    Parameters
    ----------
    comparisons : sequence of Comparison
        Every variant of the experiment against its control (at least one).
    srm_mismatch : bool
        Whether the experiment failed its sample ratio check.
    alpha, mde, power : float
        Two-sided level the corrected p-values are read at; smallest absolute change worth detecting;
        power a conclusive test must have for it.

    Returns
    -------
    Decision
    """
    if not comparisons:
        raise ValueError("an experiment is judged on at least one comparison with its control")
    smallest = min(min(c.n_control, c.n_variant) for c in comparisons)
    needed = units_needed(comparisons[0].control_rate, len(comparisons), alpha, mde, power)

    def verdict(verdict: str, reason: str, variant: str | None = None) -> Decision:
        return Decision(verdict, reason, variant, needed, smallest)

    shown = [direction(c.p_adjusted, c.ci_low, c.ci_high, alpha) for c in comparisons]
    if srm_mismatch:
        return verdict(STOP, "srm")
    if smallest < MIN_UNITS_PER_ARM:
        return verdict(TOO_FEW_UNITS, "too_few_units")
    if 1 in shown:
        best = max((c for c, s in zip(comparisons, shown, strict=True) if s == 1), key=lambda c: c.variant_rate)
        return verdict(SHIP, "winner", best.variant)
    if all(s == -1 for s in shown):
        return verdict(STOP, "harm")
    narrow = all(-abs(mde) < c.ci_low and c.ci_high < abs(mde) for c in comparisons)
    if narrow or (needed is not None and smallest >= needed):
        return verdict(STOP, "no_effect")
    return verdict(KEEP_RUNNING, "underpowered")
