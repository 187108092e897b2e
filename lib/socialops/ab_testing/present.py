"""Reader-facing tables and findings of chapter 03 (translated through the report's catalog).

The analysis frames carry raw numbers for CHAPTER.json; these functions turn them into what a marketer reads:
rates as percentages, differences in percentage points with their intervals, verdicts in plain words.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

Translate = Callable[..., str]


def pct(x: float | None, digits: int = 2) -> str:
    """A share as a percentage (0.0412 → "4.12%"); blank when missing."""
    return "" if x is None or pd.isna(x) else f"{100 * x:.{digits}f}%"


def signed(x: float | None, digits: int = 2, scale: float = 1.0, unit: str = "") -> str:
    """A signed number with an optional unit (+1.00 pp); blank when missing."""
    return "" if x is None or pd.isna(x) else f"{scale * x:+.{digits}f}{unit}"


def small(x: float, digits: int) -> str:
    """A non-negative number with fixed decimals, or "< 0.001" below what those decimals show."""
    floor = 10.0**-digits
    return f"< {floor:.{digits}f}" if x < floor else f"{x:.{digits}f}"


def p_text(p: float | None) -> str:
    """A p-value as people read it: three decimals, or "< 0.001"."""
    if p is None or pd.isna(p):
        return ""
    return small(p, 3)


def diff_text(row: pd.Series, t: Translate) -> tuple[str, str]:
    """The difference and its interval, in percentage points for rates, in the metric's units otherwise."""
    if row["metric"] == "conversion":
        unit = t("unit_pp")
        return (signed(row["abs_diff"], 2, 100, unit),
                f"[{signed(row['ci_low'], 2, 100)}, {signed(row['ci_high'], 2, 100)}]")
    return signed(row["abs_diff"]), f"[{signed(row['ci_low'])}, {signed(row['ci_high'])}]"


def level_of(alpha: float) -> str:
    """The confidence level of the intervals, as text (alpha 0.05 → "95")."""
    return f"{100 * (1 - alpha):g}"


def split_text(shares: dict[str, float]) -> str:
    """A split as "control 50% / variant 50%"."""
    return " / ".join(f"{v} {100 * s:.1f}%".replace(".0%", "%") for v, s in shares.items())


def srm_table(srm: pd.DataFrame, t: Translate) -> pd.DataFrame:
    """The sample-ratio check, one row per experiment."""
    return pd.DataFrame({
        t("col_experiment"): srm["experiment_id"],
        t("col_expected_split"): srm["expected_split"].map(split_text),
        t("col_observed_split"): srm["observed_share"].map(split_text),
        t("col_units"): srm["observed"].map(lambda d: sum(d.values())),
        t("col_chi2"): srm["chi2"].round(2),
        t("col_p"): srm["p_value"].map(p_text),
        t("col_status"): srm["mismatch"].map(lambda m: t("srm_status_broken") if m else t("srm_status_ok")),
    })


def tests_table(tests: pd.DataFrame, t: Translate) -> pd.DataFrame:
    """Every comparison: rates or means, difference with interval, p-values, Bayesian read-out."""
    rows = []
    for _, r in tests.iterrows():
        diff, ci = diff_text(r, t)
        rate = pct if r["metric"] == "conversion" else (lambda x: f"{x:,.2f}")
        loss = (small(100 * r["expected_loss"], 3) + t("unit_pp") if r["metric"] == "conversion"
                else small(r["expected_loss"], 2))
        rows.append({
            t("col_experiment"): r["experiment_id"], t("col_metric"): t(f"metric_{r['metric']}"),
            t("col_comparison"): f"{r['variant']} vs {r['control']}",
            t("col_n"): f"{r['n_variant']:,} / {r['n_control']:,}",
            t("col_rates"): f"{rate(r['variant_rate'])} vs {rate(r['control_rate'])}",
            t("col_diff"): diff, t("col_ci"): ci,
            t("col_lift"): signed(r["rel_lift"], 1, 100, "%"),
            t("col_lift_ci"): "" if pd.isna(r["lift_low"]) else
            f"[{signed(r['lift_low'], 1, 100, '%')}, {signed(r['lift_high'], 1, 100, '%')}]",
            t("col_p"): p_text(r["p_value"]), t("col_p_adj"): p_text(r["p_adjusted"]),
            t("col_p_seq"): p_text(r["p_sequential"]),
            t("col_prob"): pct(r["prob_beat_control"], 1), t("col_loss"): loss,
        })
    return pd.DataFrame(rows)


def cuped_table(cuped: pd.DataFrame, t: Translate) -> pd.DataFrame:
    """Raw against CUPED-adjusted comparison of `value`."""
    def ci(lo, hi):
        return f"[{signed(lo)}, {signed(hi)}]"

    return pd.DataFrame({
        t("col_experiment"): cuped["experiment_id"], t("col_variant"): cuped["variant"],
        t("col_raw_diff"): cuped["raw_diff"].map(signed),
        t("col_raw_ci"): [ci(a, b) for a, b in zip(cuped["raw_ci_low"], cuped["raw_ci_high"], strict=True)],
        t("col_cuped_diff"): cuped["cuped_diff"].map(signed),
        t("col_cuped_ci"): [ci(a, b) for a, b in zip(cuped["cuped_ci_low"], cuped["cuped_ci_high"], strict=True)],
        t("col_reduction"): cuped["variance_reduction"].map(lambda x: pct(x, 1)),
        t("col_p_raw"): cuped["raw_p_value"].map(p_text), t("col_p_cuped"): cuped["cuped_p_value"].map(p_text),
    })


def segments_table(seg: pd.DataFrame, t: Translate, label: Callable[[str], str] = str) -> pd.DataFrame:
    """Conversion by segment, with p-values adjusted across every slice of the experiment."""
    rows = []
    for _, r in seg.iterrows():
        rows.append({
            t("col_experiment"): r["experiment_id"], t("col_segment"): label(r["segment"]),
            t("col_variant"): r["variant"], t("col_n"): f"{r['n_variant']:,} / {r['n_control']:,}",
            t("col_rates"): f"{pct(r['variant_rate'])} vs {pct(r['control_rate'])}",
            t("col_diff"): signed(r["abs_diff"], 2, 100, t("unit_pp")),
            t("col_ci"): f"[{signed(r['ci_low'], 2, 100)}, {signed(r['ci_high'], 2, 100)}]",
            t("col_p"): p_text(r["p_value"]), t("col_p_adj"): p_text(r["p_adjusted"]),
        })
    return pd.DataFrame(rows)


def verdict_table(verdicts: pd.DataFrame, t: Translate) -> pd.DataFrame:
    """One line per experiment: the verdict and its reason."""
    return pd.DataFrame({
        t("col_experiment"): verdicts["experiment_id"],
        t("col_verdict"): verdicts["verdict"].map(lambda v: t(f"verdict_label_{v}")),
        t("col_reason"): verdicts["reason"].map(lambda r: t(f"reason_{r}")),
    })


def verdict_message(verdict: pd.Series, tests: pd.DataFrame, srm: pd.DataFrame, t: Translate, mde: float,
                    alpha: float) -> tuple[str, dict[str, object]]:
    """The catalog key and values of one experiment's verdict, in plain words.

    Returns
    -------
    (str, dict)
        For ``Report.say(key, **values)``.
    """
    exp = verdict["experiment_id"]
    conv = tests[(tests["experiment_id"] == exp) & (tests["metric"] == "conversion")]
    values: dict[str, object] = {"experiment": exp, "mde": signed(mde, 2, 100, t("unit_pp")).lstrip("+"),
                                 "level": level_of(alpha)}
    reason = verdict["reason"]
    if reason == "srm":
        p = srm.set_index("experiment_id").loc[exp, "p_value"]
        values["p"] = p_text(p)
    elif reason == "winner":
        r = conv[conv["variant"] == verdict["variant"]].iloc[0]
        diff, ci = diff_text(r, t)
        values |= {"variant": r["variant"], "control_rate": pct(r["control_rate"]),
                   "variant_rate": pct(r["variant_rate"]), "diff": diff, "ci": ci,
                   "prob": pct(r["prob_beat_control"], 1)}
    elif reason == "harm":
        values["variants"] = ", ".join(conv["variant"])
    elif reason == "underpowered":
        values |= {"n_needed": f"{int(verdict['n_needed']):,}" if pd.notna(verdict["n_needed"]) else "?",
                   "n_have": f"{int(verdict['n_smallest_arm']):,}",
                   "days": "?" if pd.isna(verdict["days_more"]) else int(verdict["days_more"])}
    return f"verdict_{verdict['verdict']}_{reason}", values


def peeking_summary(looks: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per experiment and variant (conversion): days at which the classic p-value was below ``alpha``.

    Returns
    -------
    pandas.DataFrame
        experiment_id, variant, days (looks), days_below (classic p < alpha), p_classic_final,
        p_sequential_final, first_day_sequential (first look with the always-valid p < alpha, or None).
    """
    conv = looks[looks["metric"] == "conversion"]
    rows = []
    for (exp, var), g in conv.groupby(["experiment_id", "variant"], sort=True):
        below = g["p_sequential"] < alpha
        rows.append({"experiment_id": exp, "variant": var, "days": len(g),
                     "days_below": int((g["p_classic"] < alpha).sum()),
                     "p_classic_final": float(g["p_classic"].iloc[-1]),
                     "p_sequential_final": float(g["p_sequential"].iloc[-1]),
                     "first_day_sequential": int(below.to_numpy().argmax()) + 1 if below.any() else None})
    return pd.DataFrame(rows)


def effective_sample_factor(variance_reduction: float) -> float:
    """How many times the units a test without CUPED would need for the same precision."""
    return math.inf if variance_reduction >= 1 else 1 / (1 - variance_reduction)
