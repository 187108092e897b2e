"""Chapter 03 end to end: every experiment of the `experiment` table, from engine aggregates to verdicts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from socialops.ab_testing.aggregate import MOMENT_COLUMNS, daily_moments, segment_counts
from socialops.ab_testing.bayes import beta_beat_control, normal_beat_control
from socialops.ab_testing.sequential import (
    DEFAULT_TAU,
    adjust_across_variants,
    conversion_p_values,
    mean_p_values,
)
from socialops.ab_testing.stats import (
    MeanTest,
    adjust_p_values,
    cuped_theta,
    power_two_proportions,
    proportion_test,
    sample_size,
    srm_test,
    welch_test,
)
from socialops.stats import decision
from socialops.stats.proportions import family_alpha

DEFAULT_CONTROL = ("control", "holdout", "对照组", "A")
SRM_ALPHA = 0.001
# The keys of one `tests` row in CHAPTER.json (DESIGN.md, results contract of chapter 03).
TEST_KEYS = ["experiment_id", "metric", "control", "variant", "n_control", "n_variant", "control_rate",
             "variant_rate", "abs_diff", "rel_lift", "ci_low", "ci_high", "p_value", "p_adjusted",
             "p_sequential", "prob_beat_control", "expected_loss"]
SRM_KEYS = ["experiment_id", "expected_split", "chi2", "p_value", "mismatch"]
#: The families of comparisons within which p-values are corrected: the conversion comparisons of an
#: experiment together, its value comparisons (raw or CUPED) together.
METRIC_FAMILIES = {"conversion": "conversion", "value": "value", "value_cuped": "value"}


class ControlNotFoundError(ValueError):
    """No variant of an experiment matches the names accepted as control."""

    def __init__(self, experiment_id: str, variants: Sequence[str], candidates: Sequence[str]):
        self.experiment_id = experiment_id
        self.variants = list(variants)
        self.candidates = list(candidates)
        super().__init__(
            f"experiment {experiment_id!r}: no control variant found. Variants present: "
            f"{', '.join(map(repr, self.variants))}; names accepted as control (parameter `control`): "
            f"{', '.join(map(repr, self.candidates))}. Add the control's name to `control`.")


class SplitError(ValueError):
    """The declared split of an experiment does not name its variants."""


def choose_control(variants: Sequence[str], control: Sequence[str] = DEFAULT_CONTROL,
                   experiment_id: str = "") -> str:
    """The control variant of one experiment.

    Parameters
    ----------
    variants : sequence of str
        The variants present in the experiment.
    control : sequence of str
        Names accepted as control, in order of preference; the first present wins. An exact match is
        preferred; otherwise the comparison ignores case ("Control" matches "control").
    experiment_id : str
        Used in the error message.

    Returns
    -------
    str
        The variant, spelt as in the data.

    Raises
    ------
    ControlNotFoundError
        When none of the names is present; the message lists the variants found.
    """
    if isinstance(control, str):
        control = [control]
    present = list(variants)
    for name in control:
        if name in present:
            return name
    folded = {v.casefold(): v for v in present}
    for name in control:
        if name.casefold() in folded:
            return folded[name.casefold()]
    raise ControlNotFoundError(experiment_id, sorted(present), control)


def declared_split(experiment_id: str, splits: Mapping[str, float | Mapping[str, float]] | None
                   ) -> dict[str, float]:
    """The weights declared for one experiment, from either form of ``splits``.

    ``splits`` maps ``"experiment_id/variant"`` to a weight (the flat form of the chapter parameter, e.g.
    ``{"winback_2026q3/holdout": 10, "winback_2026q3/coupon": 90}``) or ``experiment_id`` to
    ``{variant: weight}``. Returns ``{}`` when nothing is declared for the experiment.
    """
    splits = splits or {}
    nested = splits.get(experiment_id)
    if isinstance(nested, Mapping):
        return {str(k): float(w) for k, w in nested.items()}
    prefix = f"{experiment_id}/"
    return {k[len(prefix):]: float(w) for k, w in splits.items() if k.startswith(prefix)}


def unmatched_splits(splits: Mapping[str, object] | None, experiment_ids: Sequence[str]) -> list[str]:
    """Keys of ``splits`` that name no experiment in the data (worth a note: a typo leaves a split undeclared)."""
    ids = set(experiment_ids)
    return [k for k in (splits or {}) if k not in ids and not any(k.startswith(f"{e}/") for e in ids)]


def intended_split(experiment_id: str, variants: Sequence[str],
                   splits: Mapping[str, float | Mapping[str, float]] | None) -> dict[str, float]:
    """The intended share of each variant: as declared in ``splits``, else equal.

    Parameters
    ----------
    experiment_id : str
        The experiment.
    variants : sequence of str
        Its variants, as found in the data.
    splits : mapping, optional
        ``{"experiment_id/variant": weight}`` or ``{experiment_id: {variant: weight}}``; weights on any
        positive scale (10 and 90, or 0.1 and 0.9).

    Returns
    -------
    dict
        ``{variant: share}`` with shares summing to 1. A declared variant absent from the data is kept, with
        its share: an arm that received no units is the starkest sample ratio mismatch.

    Raises
    ------
    SplitError
        When a declared split misses a variant present in the data or has a non-positive weight.
    """
    declared = declared_split(experiment_id, splits)
    if not declared:
        return {v: 1 / len(variants) for v in variants}
    missing = [v for v in variants if v not in declared]
    if missing or any(w <= 0 for w in declared.values()):
        raise SplitError(f"experiment {experiment_id!r}: the declared split {declared} must give a positive "
                         f"weight to every variant present ({', '.join(variants)})")
    total = sum(declared.values())
    return {v: declared[v] / total for v in [*variants, *(v for v in declared if v not in variants)]}


def _mean_var(n, s, s2):
    """Mean and sample variance (ddof=1) from count, sum and sum of squares (arrays or scalars)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(s, dtype=float) / n
        var = np.maximum((np.asarray(s2, dtype=float) - n * mean**2) / (n - 1), 0.0)
    return mean, var


def _cov(n, sx, sy, sxy):
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.asarray(sxy, dtype=float) - np.asarray(sx) * np.asarray(sy) / n) / (n - 1)


@dataclass(frozen=True)
class CupedArm:
    """One arm's CUPED-adjusted moments and the raw ones on the same units."""

    n: int
    mean: float
    var: float
    raw_mean: float
    raw_var: float


def cuped_adjust(arms: Mapping[str, Mapping[str, float]]) -> tuple[float, dict[str, CupedArm]]:
    """CUPED (Deng, Xu, Kohavi & Walker, 2013) from per-arm moments of value (y) and pre_value (x).

    Parameters
    ----------
    arms : mapping
        ``{variant: {"n_cuped", "sum_cx", "sum_cy", "sum_cx2", "sum_cy2", "sum_cxy"}}``.

    Returns
    -------
    theta : float
        The slope cov(x, y) / var(x) over the arms given (the two arms of one comparison, so that a third
        arm does not move it).
    adjusted : dict
        Per arm: mean of y − theta·(x − mean x over the arms given) and its variance, with the raw ones.
    """
    tot = {k: sum(float(a[k]) for a in arms.values()) for k in
           ("n_cuped", "sum_cx", "sum_cy", "sum_cx2", "sum_cxy")}
    _, var_x_all = _mean_var(tot["n_cuped"], tot["sum_cx"], tot["sum_cx2"])
    cov_all = _cov(tot["n_cuped"], tot["sum_cx"], tot["sum_cy"], tot["sum_cxy"])
    theta = cuped_theta(float(cov_all), float(var_x_all))
    mean_x_all = tot["sum_cx"] / tot["n_cuped"]
    out = {}
    for name, a in arms.items():
        mx, vx = _mean_var(a["n_cuped"], a["sum_cx"], a["sum_cx2"])
        my, vy = _mean_var(a["n_cuped"], a["sum_cy"], a["sum_cy2"])
        cxy = _cov(a["n_cuped"], a["sum_cx"], a["sum_cy"], a["sum_cxy"])
        adj_var = max(float(vy - 2 * theta * cxy + theta**2 * vx), 0.0)
        out[name] = CupedArm(int(a["n_cuped"]), float(my - theta * (mx - mean_x_all)), adj_var,
                             float(my), float(vy))
    return theta, out


@dataclass
class Analysis:
    """Everything chapter 03 computes; DataFrames ready for tables, charts and CHAPTER.json."""

    controls: dict[str, str]
    srm: pd.DataFrame
    tests: pd.DataFrame
    looks: pd.DataFrame
    cuped: pd.DataFrame
    verdicts: pd.DataFrame
    moments: pd.DataFrame = field(repr=False)
    #: Units left out of every comparison because their conversion is missing, per experiment (only those
    #: with any).
    excluded: dict[str, int] = field(default_factory=dict)

    def srm_records(self) -> list[dict]:
        """The `srm` key of CHAPTER.json."""
        return self.srm[SRM_KEYS].to_dict("records")

    def test_records(self) -> list[dict]:
        """The `tests` key of CHAPTER.json."""
        return self.tests[TEST_KEYS].to_dict("records")


def _totals(moments: pd.DataFrame) -> pd.DataFrame:
    return moments.groupby(["experiment_id", "variant"], sort=True)[MOMENT_COLUMNS].sum()


def _conversion_looks(c: pd.DataFrame, v: pd.DataFrame, tau: float) -> pd.DataFrame:
    """Per look (cumulative by day): difference, classic p-value and always-valid p-value for conversion."""
    nc, nv = c["n"].to_numpy(dtype=float), v["n"].to_numpy(dtype=float)
    xc, xv = c["conversions"].to_numpy(dtype=float), v["conversions"].to_numpy(dtype=float)
    started = (nc > 0) & (nv > 0)  # before both arms have units there is nothing to compare
    # the always-valid p from the raw counts: its variance is the one under the null (pooled rate)
    p_sequential = conversion_p_values(xc, nc, xv, nv, tau)
    nc, nv = np.where(started, nc, 1.0), np.where(started, nv, 1.0)
    pc, pv = xc / nc, xv / nv
    classic = [proportion_test([a, b], [m, n]).p_value if ok else 1.0
               for a, b, m, n, ok in zip(xc, xv, nc, nv, started, strict=True)]
    diff = np.where(started, pv - pc, np.nan)
    return pd.DataFrame({"diff": diff, "p_classic": classic, "p_sequential": p_sequential})


def _mean_looks(c_mean, c_var, c_n, v_mean, v_var, v_n, tau: float) -> pd.DataFrame:
    """Per look: difference of means, Welch p-value and always-valid p-value (variance of the arms pooled)."""
    c_n, v_n = np.asarray(c_n, dtype=float), np.asarray(v_n, dtype=float)
    classic = [welch_test([a, b], [m0, m1], [s0, s1]).p_value if min(a, b) >= 2 else 1.0
               for a, b, m0, m1, s0, s1 in zip(c_n, v_n, c_mean, v_mean, c_var, v_var, strict=True)]
    diff = np.asarray(v_mean) - np.asarray(c_mean)
    return pd.DataFrame({"diff": diff, "p_classic": classic,
                         "p_sequential": mean_p_values(c_n, c_mean, c_var, v_n, v_mean, v_var, tau)})


def _cumulative(moments: pd.DataFrame, exp_id: str, variant: str, days: pd.Index) -> pd.DataFrame:
    m = moments[(moments.experiment_id == exp_id) & (moments.variant == variant)]
    by_day = m.groupby("day", dropna=False)[MOMENT_COLUMNS].sum().reindex(days, fill_value=0)
    return by_day.cumsum()


LOOK_COLUMNS = ["experiment_id", "metric", "variant", "day", "n_control", "n_variant", "diff", "p_classic",
                "p_sequential"]
CUPED_COLUMNS = ["experiment_id", "variant", "theta", "variance_reduction", "raw_diff", "raw_ci_low",
                 "raw_ci_high", "raw_p_value", "cuped_diff", "cuped_ci_low", "cuped_ci_high", "cuped_p_value"]
_CUPED_MOMENTS = ["n_cuped", "sum_cx", "sum_cy", "sum_cx2", "sum_cy2", "sum_cxy"]


@dataclass
class _Experiment:
    """One experiment as its comparisons need it: totals per variant and cumulative totals per day."""

    experiment_id: str
    control: str
    totals: pd.DataFrame
    days: pd.Index
    cumulative: dict[str, pd.DataFrame]

    @property
    def variants(self) -> list[str]:
        """The variants other than control, in the order of the totals."""
        return [v for v in self.totals.index if v != self.control]

    def has_value(self, variant: str) -> bool:
        """Whether value can be compared between control and ``variant``: two values or more in each arm."""
        return bool(self.totals.loc[[self.control, variant], "n_value"].min() >= 2)

    def cuped(self, variant: str) -> tuple[float, dict[str, CupedArm]] | None:
        """CUPED of control and ``variant`` alone (theta fitted on these two arms), or None when it cannot help.

        It cannot help when an arm has fewer than two units with both values, or when the slope is 0 (a
        constant pre_value): value is then compared as measured.
        """
        arms = self.totals.loc[[self.control, variant], _CUPED_MOMENTS]
        if arms["n_cuped"].min() < 2:
            return None
        theta, adjusted = cuped_adjust(arms.to_dict("index"))
        return (theta, adjusted) if theta != 0 else None

    def looks(self, frame: pd.DataFrame, metric: str, variant: str) -> pd.DataFrame:
        """Label one comparison's looks with the experiment, metric, variant, day and units so far."""
        return frame.assign(experiment_id=self.experiment_id, metric=metric, variant=variant, day=self.days,
                            n_control=self.cumulative[self.control]["n"].to_numpy(),
                            n_variant=self.cumulative[variant]["n"].to_numpy())


def _experiment(moments: pd.DataFrame, totals: pd.DataFrame, exp_id: str, ctl: str) -> _Experiment:
    """Gather one experiment's totals per variant and its cumulative totals per day."""
    tot = totals.loc[exp_id]
    days = pd.Index(sorted(moments.loc[moments.experiment_id == exp_id, "day"].unique()), name="day")
    order = [ctl, *(v for v in tot.index if v != ctl)]
    cumulative = {v: _cumulative(moments, exp_id, v, days) for v in order}
    return _Experiment(exp_id, ctl, tot, days, cumulative)


def _srm_row(exp: _Experiment, splits: Mapping[str, Mapping[str, float]] | None) -> dict | None:
    """The sample ratio check of one experiment against its intended split (None with a single arm)."""
    split = intended_split(exp.experiment_id, [exp.control, *exp.variants], splits)
    counts = [int(exp.totals.loc[v, "n"]) if v in exp.totals.index else 0 for v in split]
    if not exp.variants:
        return None
    srm = srm_test(counts, list(split.values()))
    return {"experiment_id": exp.experiment_id, "expected_split": split, "chi2": srm.statistic,
            "p_value": srm.p_value, "mismatch": bool(srm.p_value < SRM_ALPHA),
            "observed": dict(zip(split, counts, strict=True)),
            "observed_share": {v: c / sum(counts) for v, c in zip(split, counts, strict=True)}}


def _conversion(exp: _Experiment, var: str, alpha: float, tau: float) -> tuple[dict, pd.DataFrame]:
    """One variant against control on conversion: the test row and its daily looks."""
    c, v = exp.totals.loc[exp.control], exp.totals.loc[var]
    pt = proportion_test([int(c.conversions), int(v.conversions)], [int(c.n), int(v.n)], alpha)
    bayes = beta_beat_control((int(c.conversions), int(v.conversions)), (int(c.n), int(v.n)))
    looks = exp.looks(_conversion_looks(exp.cumulative[exp.control], exp.cumulative[var], tau), "conversion",
                      var)
    row = {"experiment_id": exp.experiment_id, "metric": "conversion", "control": exp.control, "variant": var,
           "n_control": int(c.n), "n_variant": int(v.n), "control_rate": pt.control_rate,
           "variant_rate": pt.variant_rate, "abs_diff": pt.abs_diff, "rel_lift": pt.rel_lift,
           "ci_low": pt.ci_low, "ci_high": pt.ci_high, "p_value": pt.p_value,
           "p_sequential": float(looks["p_sequential"].iloc[-1]),
           "prob_beat_control": bayes.prob_beat_control, "expected_loss": bayes.expected_loss,
           "lift_low": pt.lift_low, "lift_high": pt.lift_high, "df": None}
    return row, looks


def _raw_value(exp: _Experiment, var: str, alpha: float, tau: float) -> tuple[MeanTest, tuple[int, int],
                                                                              pd.DataFrame]:
    """Value per unit compared as measured (Welch): the test, the units per arm and the looks."""
    c, v = exp.totals.loc[exp.control], exp.totals.loc[var]
    (m0, v0), (m1, v1) = _mean_var(c.n_value, c.sum_y, c.sum_y2), _mean_var(v.n_value, v.sum_y, v.sum_y2)
    test = welch_test([c.n_value, v.n_value], [m0, m1], [v0, v1], alpha)
    cc, cv = exp.cumulative[exp.control], exp.cumulative[var]
    mc, vc = _mean_var(cc.n_value, cc.sum_y, cc.sum_y2)
    mv, vv = _mean_var(cv.n_value, cv.sum_y, cv.sum_y2)
    return test, (int(c.n_value), int(v.n_value)), _mean_looks(mc, vc, cc.n_value, mv, vv, cv.n_value, tau)


def _cuped_value(exp: _Experiment, var: str, cuped: tuple[float, dict[str, CupedArm]], alpha: float,
                 tau: float) -> tuple[MeanTest, tuple[int, int], pd.DataFrame, dict]:
    """Value per unit after CUPED: the test, the units per arm, the looks and the raw-against-adjusted row."""
    theta, adjusted = cuped
    a0, a1 = adjusted[exp.control], adjusted[var]
    test = welch_test([a0.n, a1.n], [a0.mean, a1.mean], [a0.var, a1.var], alpha)
    # the raw comparison on the same units, so that the variance removed is CUPED's alone
    on_same = welch_test([a0.n, a1.n], [a0.raw_mean, a1.raw_mean], [a0.raw_var, a1.raw_var], alpha)
    row = {"experiment_id": exp.experiment_id, "variant": var, "theta": theta,
           "variance_reduction": 1 - test.std_error**2 / on_same.std_error**2,
           "raw_diff": on_same.abs_diff, "raw_ci_low": on_same.ci_low, "raw_ci_high": on_same.ci_high,
           "raw_p_value": on_same.p_value, "cuped_diff": test.abs_diff, "cuped_ci_low": test.ci_low,
           "cuped_ci_high": test.ci_high, "cuped_p_value": test.p_value}
    looks = _cuped_looks(exp.cumulative[exp.control], exp.cumulative[var], tau)
    return test, (a0.n, a1.n), looks, row


def _value(exp: _Experiment, var: str, alpha: float, tau: float) -> tuple[dict, pd.DataFrame, dict | None]:
    """One variant against control on value per unit (CUPED-adjusted when it helps): row, looks, CUPED row."""
    cuped = exp.cuped(var)
    if cuped is None:
        metric, cuped_row = "value", None
        test, (n_c, n_v), looks = _raw_value(exp, var, alpha, tau)
    else:
        metric = "value_cuped"
        test, (n_c, n_v), looks, cuped_row = _cuped_value(exp, var, cuped, alpha, tau)
    looks = exp.looks(looks, metric, var)
    bayes = normal_beat_control(test.abs_diff, test.std_error)
    row = {"experiment_id": exp.experiment_id, "metric": metric, "control": exp.control, "variant": var,
           "n_control": n_c, "n_variant": n_v, "control_rate": test.control_mean,
           "variant_rate": test.variant_mean, "abs_diff": test.abs_diff, "rel_lift": test.rel_lift,
           "ci_low": test.ci_low, "ci_high": test.ci_high, "p_value": test.p_value,
           "p_sequential": float(looks["p_sequential"].iloc[-1]),
           "prob_beat_control": bayes.prob_beat_control, "expected_loss": bayes.expected_loss,
           "lift_low": test.lift_low, "lift_high": test.lift_high, "df": test.df}
    return row, looks, cuped_row


def _sequential_across_variants(rows: list[dict], looks: list[pd.DataFrame]) -> None:
    """Adjust one experiment's always-valid p-values across its variants, metric by metric and look by look.

    ``rows`` are the experiment's test rows and ``looks`` their looks, in the same order; both are updated in
    place with Holm's adjustment, which keeps the p-values always valid (:func:`adjust_across_variants`).
    """
    for metric in dict.fromkeys(r["metric"] for r in rows):
        pairs = [(r, f) for r, f in zip(rows, looks, strict=True) if r["metric"] == metric]
        adjusted = adjust_across_variants(np.vstack([f["p_sequential"].to_numpy(float) for _, f in pairs]))
        for (r, f), p in zip(pairs, adjusted, strict=True):
            f["p_sequential"] = p
            r["p_sequential"] = float(p[-1])


def adjust_within_families(rows: list[dict], correction: str) -> None:
    """Set ``p_adjusted`` on each row, correcting the p-values within each family of :data:`METRIC_FAMILIES`.

    Parameters
    ----------
    rows : list of dict
        The comparisons of one experiment, each with ``metric`` and ``p_value``; changed in place.
    correction : {"holm", "bh"}
        The correction applied within each family.
    """
    for family in dict.fromkeys(METRIC_FAMILIES.values()):
        members = [r for r in rows if METRIC_FAMILIES[r["metric"]] == family]
        for r, p in zip(members, adjust_p_values([r["p_value"] for r in members], correction), strict=True):
            r["p_adjusted"] = p


@dataclass
class _Findings:
    """The rows and looks of every experiment, gathered as the experiments are compared."""

    srm: list[dict] = field(default_factory=list)
    tests: list[dict] = field(default_factory=list)
    looks: list[pd.DataFrame] = field(default_factory=list)
    cuped: list[dict] = field(default_factory=list)

    def compare(self, exp: _Experiment, alpha: float, correction: str, tau: float) -> None:
        """Every variant of one experiment against its control, p-values adjusted within each metric family.

        Each variant's value comparison stands on its own: an arm without two values leaves out its own
        comparison only.
        """
        rows = []
        for var in exp.variants:
            row, looks = _conversion(exp, var, alpha, tau)
            rows.append(row)
            self.looks.append(looks)
            if exp.has_value(var):
                row, looks, cuped_row = _value(exp, var, alpha, tau)
                rows.append(row)
                self.looks.append(looks)
                if cuped_row is not None:
                    self.cuped.append(cuped_row)
        adjust_within_families(rows, correction)
        _sequential_across_variants(rows, self.looks[len(self.looks) - len(rows):])
        self.tests.extend(rows)

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The srm, tests, looks and cuped tables (with their columns even when empty)."""
        looks = pd.concat(self.looks, ignore_index=True) if self.looks else pd.DataFrame(columns=LOOK_COLUMNS)
        return (pd.DataFrame(self.srm, columns=[*SRM_KEYS, "observed", "observed_share"]),
                pd.DataFrame(self.tests, columns=[*TEST_KEYS, "lift_low", "lift_high", "df"]),
                looks, pd.DataFrame(self.cuped, columns=CUPED_COLUMNS))


def analyse_experiments(experiment: ibis.Table, control: Sequence[str] = DEFAULT_CONTROL,
                        splits: Mapping[str, Mapping[str, float]] | None = None, alpha: float = 0.05,
                        correction: str = "holm", tau: float = DEFAULT_TAU, mde: float = 0.01,
                        power: float = 0.8) -> Analysis:
    """Analyse every experiment of the `experiment` table.

    Parameters
    ----------
    experiment : ibis.Table
        The `experiment` table, already cut at ``as_of``.
    control : sequence of str
        Names accepted as control, in order of preference.
    splits : mapping, optional
        Intended split per experiment, ``{"experiment_id/variant": weight}`` or ``{experiment_id: {variant:
        weight}}``; equal when not listed.
    alpha : float
        Significance level of tests and intervals (two-sided).
    correction : {"holm", "bh"}
        Multiple-comparison adjustment across the comparisons of one experiment.
    tau : float
        Mixture spread of the always-valid p-values (standardized effect; see ``sequential``).
    mde : float
        Smallest absolute conversion change worth detecting; decides whether a null result is conclusive.
    power : float
        Power the experiments are judged against for that ``mde``.

    Returns
    -------
    Analysis
        ``srm`` (per experiment), ``tests`` (per experiment, metric and variant; the contract keys plus
        ``lift_low``/``lift_high`` for the relative lift and ``df`` where relevant), ``looks`` (cumulative
        by day), ``cuped`` (raw against adjusted), ``verdicts`` (per experiment).

    Raises
    ------
    ControlNotFoundError
        When an experiment has no variant named in ``control``.
    """
    experiment, excluded = known_conversions(experiment)
    moments = daily_moments(experiment)
    totals = _totals(moments)
    controls = {exp_id: choose_control(list(grp.index.get_level_values(1)), control, exp_id)
                for exp_id, grp in totals.groupby(level=0)}
    found = _Findings()
    for exp_id, ctl in controls.items():
        exp = _experiment(moments, totals, exp_id, ctl)
        srm = _srm_row(exp, splits)
        if srm is not None:
            found.srm.append(srm)
        found.compare(exp, alpha, correction, tau)
    srm_df, tests_df, looks_df, cuped_df = found.frames()
    verdicts = decide(srm_df, tests_df, moments, alpha=alpha, mde=mde, power=power)
    return Analysis(controls, srm_df, tests_df, looks_df, cuped_df, verdicts, moments, excluded)


def known_conversions(experiment: ibis.Table) -> tuple[ibis.Table, dict[str, int]]:
    """The units whose conversion is known, and how many of each experiment were left out for lacking one.

    A missing ``converted`` (null, or NaN in a float column) is not a non-conversion: counting it as one
    would lower the rate of whichever arm has more of them. Such units are left out of every comparison.

    Returns
    -------
    (ibis.Table, dict)
        The table without those units, and ``{experiment_id: units left out}`` for the experiments with any.
    """
    missing = experiment.converted.isnull()
    if experiment.converted.type().is_floating():
        missing = missing | experiment.converted.isnan()
    counts = (experiment.filter(missing).group_by(experiment_id=experiment.experiment_id.cast("string"))
              .aggregate(units=lambda t: t.count()).to_pandas())
    excluded = {str(e): int(n) for e, n in zip(counts["experiment_id"], counts["units"], strict=True)}
    return (experiment.filter(~missing) if excluded else experiment), excluded


def _cuped_looks(cc: pd.DataFrame, cv: pd.DataFrame, tau: float) -> pd.DataFrame:
    """Per look: CUPED-adjusted difference (theta re-estimated on the data so far) and its p-values.

    The same algebra as :func:`cuped_adjust`, vectorized over the looks.
    """
    n = cc["n_cuped"].to_numpy(float) + cv["n_cuped"].to_numpy(float)
    sx, sy = cc["sum_cx"] + cv["sum_cx"], cc["sum_cy"] + cv["sum_cy"]
    _, var_x_all = _mean_var(n, sx, cc["sum_cx2"] + cv["sum_cx2"])
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(var_x_all > 0, _cov(n, sx, sy, cc["sum_cxy"] + cv["sum_cxy"]) / var_x_all, 0.0)
        mean_x_all = sx.to_numpy(float) / n
    arms = []
    for a in (cc, cv):
        mx, vx = _mean_var(a["n_cuped"], a["sum_cx"], a["sum_cx2"])
        my, vy = _mean_var(a["n_cuped"], a["sum_cy"], a["sum_cy2"])
        cxy = _cov(a["n_cuped"], a["sum_cx"], a["sum_cy"], a["sum_cxy"])
        var = np.maximum(vy - 2 * theta * cxy + theta**2 * vx, 0.0)
        arms.append((my - theta * (mx - mean_x_all), var, a["n_cuped"].to_numpy(float)))
    (m0, v0, n0), (m1, v1, n1) = arms
    early = (n0 < 2) | (n1 < 2)
    v0, v1 = np.where(early, np.nan, v0), np.where(early, np.nan, v1)  # no information yet: p stays put
    return _mean_looks(m0, v0, n0, m1, v1, n1, tau)


def traffic_per_day(moments: pd.DataFrame) -> pd.Series:
    """Average units assigned per day of each experiment (all variants), over the days it assigned units."""
    dated = moments.dropna(subset=["day"])
    per_day = dated.groupby(["experiment_id", "day"])["n"].sum()
    return per_day.groupby(level=0).mean()


def _comparisons(grp: pd.DataFrame) -> list[decision.Comparison]:
    """The conversion rows of one experiment as the decision rule reads them."""
    return [decision.Comparison(r.variant, int(r.n_control), int(r.n_variant), float(r.control_rate),
                                float(r.variant_rate), float(r.ci_low), float(r.ci_high), float(r.p_adjusted))
            for r in grp.itertuples()]


def _days_more(target: int | None, smallest: int, grp: pd.DataFrame, traffic: float | None) -> int | None:
    """Days until the smallest arm holds ``target`` units, at the experiment's own pace (None when unknown)."""
    if target is None or not traffic or traffic <= 0:
        return None
    # Units arrive at the experiment's own pace, shared across its arms in the observed proportions.
    share = smallest / float(grp["n_control"].iloc[0] + grp["n_variant"].sum())
    return math.ceil((target - smallest) / (traffic * share))


def decide(srm: pd.DataFrame, tests: pd.DataFrame, moments: pd.DataFrame, alpha: float = 0.05,
           mde: float = 0.01, power: float = 0.8) -> pd.DataFrame:
    """A plain-words verdict per experiment, by the rule of :func:`socialops.stats.decision.decide`.

    The rule reads each experiment's conversion comparisons (the primary metric) and its sample ratio check;
    the units still needed are sized at ``alpha`` shared among the variants. For ``keep_running`` and
    ``too_few_units`` verdicts, the days until the smallest arm holds the units it needs (the planned size,
    or :data:`~socialops.stats.decision.MIN_UNITS_PER_ARM`) are estimated at the experiment's daily traffic.

    Returns
    -------
    pandas.DataFrame
        experiment_id, verdict, reason, variant (the one to ship, if any), n_needed (per variant),
        n_smallest_arm, days_more (for keep_running and too_few_units; missing when the traffic is unknown),
        n_arms.
    """
    mismatch = dict(zip(srm["experiment_id"], srm["mismatch"], strict=True)) if len(srm) else {}
    traffic = traffic_per_day(moments)
    rows = []
    conv = tests[tests["metric"] == "conversion"]
    for exp_id, grp in conv.groupby("experiment_id", sort=False):
        verdict = decision.decide(_comparisons(grp), srm_mismatch=bool(mismatch.get(exp_id, False)), alpha=alpha,
                                  mde=mde, power=power)
        target = {decision.KEEP_RUNNING: verdict.n_needed,
                  decision.TOO_FEW_UNITS: decision.MIN_UNITS_PER_ARM}.get(verdict.verdict)
        rows.append({"experiment_id": exp_id, "verdict": verdict.verdict, "reason": verdict.reason,
                     "variant": verdict.variant, "n_needed": verdict.n_needed,
                     "n_smallest_arm": verdict.n_smallest_arm,
                     "days_more": _days_more(target, verdict.n_smallest_arm, grp, traffic.get(exp_id)),
                     "n_arms": len(grp) + 1})
    return pd.DataFrame(rows, columns=["experiment_id", "verdict", "reason", "variant", "n_needed",
                                       "n_smallest_arm", "days_more", "n_arms"])


def segment_tests(experiment: ibis.Table, column: str, controls: Mapping[str, str], alpha: float = 0.05,
                  correction: str = "holm") -> pd.DataFrame:
    """Conversion of each variant against control within each segment (e.g. platform).

    The p-values are adjusted across all segment × variant comparisons of an experiment: slicing an
    experiment many ways and reporting the best slice is how false wins are made.

    Parameters
    ----------
    experiment : ibis.Table
        The `experiment` table.
    column : str
        The segment column (e.g. ``platform``).
    controls : mapping
        ``{experiment_id: control variant}`` (``Analysis.controls``).
    alpha, correction
        As in :func:`analyse_experiments`.

    Returns
    -------
    pandas.DataFrame
        experiment_id, segment, variant, n_control, n_variant, control_rate, variant_rate, abs_diff, ci_low,
        ci_high, p_value, p_adjusted. Segments where an arm is empty are left out.
    """
    counts = segment_counts(known_conversions(experiment)[0], column)
    rows = []
    for exp_id, grp in counts.groupby("experiment_id", sort=True):
        ctl = controls.get(exp_id)
        exp_rows = []
        for seg, sg in grp.groupby("segment", sort=True):
            by = sg.set_index("variant")
            if ctl not in by.index or by.loc[ctl, "n"] == 0:
                continue
            for var in by.index:
                if var == ctl or by.loc[var, "n"] == 0:
                    continue
                pt = proportion_test([int(by.loc[ctl, "conversions"]), int(by.loc[var, "conversions"])],
                                     [int(by.loc[ctl, "n"]), int(by.loc[var, "n"])], alpha)
                exp_rows.append({"experiment_id": exp_id, "segment": seg, "variant": var,
                                 "n_control": int(by.loc[ctl, "n"]), "n_variant": int(by.loc[var, "n"]),
                                 "control_rate": pt.control_rate, "variant_rate": pt.variant_rate,
                                 "abs_diff": pt.abs_diff, "ci_low": pt.ci_low, "ci_high": pt.ci_high,
                                 "p_value": pt.p_value})
        for r, p in zip(exp_rows, adjust_p_values([r["p_value"] for r in exp_rows], correction), strict=True):
            r["p_adjusted"] = p
        rows.extend(exp_rows)
    return pd.DataFrame(rows, columns=["experiment_id", "segment", "variant", "n_control", "n_variant",
                                       "control_rate", "variant_rate", "abs_diff", "ci_low", "ci_high",
                                       "p_value", "p_adjusted"])


def planned_change(baseline_rate: float | None, mde: float) -> float | None:
    """The change the next test is sized for: ``mde`` upwards, or downwards when the rate leaves no room above.

    Returns None when neither fits inside (0, 1) (a rate of 0 or 1, a change as large as the rate allows, or
    no baseline at all): no test can be sized then.
    """
    if baseline_rate is None or not 0 < baseline_rate < 1:
        return None
    for step in (abs(mde), -abs(mde)):
        if 0 < baseline_rate + step < 1:
            return float(step)
    return None


def plan_next(baseline_rate: float | None, mde: float, daily_traffic: float, alpha: float = 0.05,
              power: float = 0.8, n_variants: int = 2) -> dict:
    """Size the next experiment.

    Parameters
    ----------
    baseline_rate : float or None
        Expected control conversion rate (None when nothing was observed and nothing given).
    mde : float
        Smallest absolute change worth detecting; planned upwards, or downwards when the rate leaves no room
        above (:func:`planned_change`).
    daily_traffic : float
        Units entering the experiment per day, all variants together.
    alpha, power : float
        Two-sided significance level of the experiment, and power.
    n_variants : int
        Arms including control, each given an equal share of the traffic. With more than two, each of the
        ``n_variants − 1`` comparisons with control is sized at its share of ``alpha``
        (:func:`~socialops.stats.proportions.family_alpha`), so that the test keeps its power once Holm's
        correction is applied within the conversion family.

    Returns
    -------
    dict
        ``{"mde", "n_per_variant", "days_needed"}`` (the `power` key of CHAPTER.json); ``mde`` is the planned
        change, signed; ``n_per_variant`` is None when no change of ``mde`` fits the baseline (and ``mde`` is
        then the parameter as given); ``days_needed`` is None when the traffic is not positive or no size is known.
    """
    step = planned_change(baseline_rate, mde)
    if step is None:
        return {"mde": float(mde), "n_per_variant": None, "days_needed": None}
    n = sample_size(baseline_rate, step, family_alpha(alpha, max(n_variants - 1, 1)), power)
    days = math.ceil(n * n_variants / daily_traffic) if daily_traffic > 0 else None
    return {"mde": step, "n_per_variant": n, "days_needed": days}


def power_curve(baseline_rate: float, mdes: Sequence[float], n_per_variant: Sequence[float],
                alpha: float = 0.05) -> pd.DataFrame:
    """Power against units per variant, one curve per minimum detectable effect.

    Returns
    -------
    pandas.DataFrame
        Columns mde, n_per_variant, power.
    """
    frames = [pd.DataFrame({"mde": float(m), "n_per_variant": np.asarray(n_per_variant, dtype=float),
                            "power": power_two_proportions(np.asarray(n_per_variant, dtype=float),
                                                           baseline_rate, m, alpha)})
              for m in mdes]
    return pd.concat(frames, ignore_index=True)


def plan_power_curve(baseline_rate: float, plan: Mapping[str, float], alpha: float = 0.05,
                     points: int = 150, n_variants: int = 2) -> pd.DataFrame:
    """The power curves around a plan: half, the same and twice its change, up to 2.5 times its units.

    Parameters
    ----------
    baseline_rate : float
        Control conversion rate of the plan.
    plan : mapping
        From :func:`plan_next` (``mde`` and ``n_per_variant``).
    alpha : float
        Two-sided significance level of the experiment.
    points : int
        Sample sizes per curve.
    n_variants : int
        Arms including control: the power is that of one comparison at its share of ``alpha``, as in
        :func:`plan_next`.

    Returns
    -------
    pandas.DataFrame
        As :func:`power_curve`; changes that would take the rate outside (0, 1) are left out, and a plan
        without a size gives no curve.
    """
    mde = plan["mde"]
    if plan["n_per_variant"] is None:
        return pd.DataFrame(columns=["mde", "n_per_variant", "power"])
    mdes = [m for m in (mde / 2, mde, 2 * mde) if 0 < baseline_rate + m < 1]
    return power_curve(baseline_rate, mdes, np.linspace(10, 2.5 * plan["n_per_variant"], points),
                       family_alpha(alpha, max(n_variants - 1, 1)))


def significant_in_sound_tests(tests: pd.DataFrame, broken: set[str], alpha: float = 0.05) -> tuple[int, int]:
    """How many conversion comparisons of the experiments with a sound split differ from control after correction.

    Returns
    -------
    (int, int)
        Comparisons that show a change by :func:`socialops.stats.decision.direction` (``p_adjusted < alpha``
        and an interval wholly on one side of 0), and all conversion comparisons outside ``broken``.
    """
    sound = tests[(tests["metric"] == "conversion") & ~tests["experiment_id"].isin(broken)]
    shown = [decision.direction(p, lo, hi, alpha)
             for p, lo, hi in zip(sound["p_adjusted"], sound["ci_low"], sound["ci_high"], strict=True)]
    return sum(s != 0 for s in shown), len(sound)


def planning_inputs(analysis: Analysis, baseline_rate: float = 0.0, daily_traffic: float = 0.0
                    ) -> dict[str, float | str | None]:
    """Baseline rate and daily traffic for the next test: as given, or observed in the experiments analysed.

    Parameters
    ----------
    analysis : Analysis
        The experiments analysed.
    baseline_rate : float
        Control conversion rate to plan for; 0 takes the median control rate of the experiments.
    daily_traffic : float
        Units per day entering the next test; 0 takes the median daily traffic of the experiments.

    Returns
    -------
    dict
        ``baseline_rate``, ``baseline_source``, ``daily_traffic``, ``traffic_source``; a source is "given",
        "observed", or "unknown" when the value is neither given nor observable (no comparison with control for
        the rate, no ``assigned_at`` for the traffic), and the value is then None.
    """
    conv = analysis.tests[analysis.tests["metric"] == "conversion"]
    observed_rate = float(conv.groupby("experiment_id")["control_rate"].first().median()) if len(conv) else None
    traffic = traffic_per_day(analysis.moments)
    observed_traffic = float(traffic.median()) if len(traffic) else None

    def pick(given: float, observed: float | None) -> tuple[float | None, str]:
        if given > 0:
            return float(given), "given"
        return observed, "observed" if observed is not None else "unknown"

    (rate, rate_source), (units, units_source) = pick(baseline_rate, observed_rate), pick(daily_traffic,
                                                                                          observed_traffic)
    return {"baseline_rate": rate, "baseline_source": rate_source, "daily_traffic": units,
            "traffic_source": units_source}
