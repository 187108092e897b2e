"""Chapter 02's executive summary: the chapter's recommended moves, each with the users it concerns.

The findings are the moves :func:`socialops.lifecycle.present.recommendations` already makes, by the rule it
applies: DOMAIN.md's advice for each stage or tier with users in it, sized with this client's numbers (a rate the
log cannot measure is left out of the wording); the summary puts the most urgent first (winning back, first
orders, protecting high value), then the most users concerned. Each move becomes an action naming the
group, the KPI it moves and its priority; the log holds no estimate of how much a move would change, so no size is
given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from socialops.lifecycle import present
from socialops.report.findings import Message
from socialops.report.summary import PRIORITIES, Action, Finding, Summary, by_priority, more_data, ranked

#: Each move (its catalog key without ``_plain``): the section it rests on, its action, where, KPI and priority.
MOVES = {
    "rec_winback": ("churned", "act_winback", "where_former", "kpi_comebacks", "high"),
    "rec_first_order": ("first_order", "act_first_order", "where_new", "kpi_first_order", "high"),
    "rec_awareness": ("stages", "act_awareness", "where_potential", "kpi_follows", "medium"),
    "rec_referral": ("k_factor", "act_referral", "where_loyal", "kpi_referrals", "medium"),
    "rec_high_value": ("rfm", "act_protect", "where_high_value", "kpi_revenue_kept", "high"),
    "rec_potential_high": ("rfm", "act_grow", "where_potential_high", "kpi_repeat", "medium"),
    "rec_low_value": ("rfm", "act_wake", "where_low_value", "kpi_repeat", "low"),
}


def _move(message: Message) -> tuple[str, str, str, str, str]:
    return MOVES[message.key.removesuffix("_plain")]


def findings(moves: Sequence[Message]) -> list[Finding]:
    """Five moves, most urgent first and, within a priority, most users concerned first; each with its users."""
    urgent = sorted(moves, key=lambda m: (PRIORITIES.index(_move(m)[4]), -int(m.values["users"])))
    return ranked(Finding(m, {"users": int(m.values["users"])}, _move(m)[0]) for m in urgent)


def actions(moves: Sequence[Message]) -> list[Action]:
    """One action per move, most urgent first: protect value and win back, then grow, then wake up."""
    found = []
    for m in moves:
        section, key, where, kpi, priority = _move(m)
        found.append(Action(Message(key), Message(where, {"users": f"{int(m.values['users']):,}"}), kpi, priority,
                            section=section))
    return by_priority(found)


def chapter_summary(moves: Sequence[Message], skipped: Mapping[str, Message]) -> Summary:
    """The chapter's summary from its recommended moves: findings, actions and what data would add more."""
    return Summary(findings(moves), actions(moves), more_data(skipped, present.SECTIONS))
