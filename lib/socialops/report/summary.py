"""A chapter's executive summary: its findings, each with its number and what to do, and its action table.

Each chapter's ``summary`` module builds, from the numbers the chapter already computed and the evidence rules it
already applies, a list of :class:`Finding` (a sentence of the catalog, the raw numbers it states and the section
it rests on) and a list of :class:`Action` (what, where, the KPI it moves, its expected size, its priority). The
notebook hands both to :meth:`socialops.report.report.Report.summarize`, which shows them at the top of the report
and records them as the results' ``summary`` and ``actions``. No finding is made without the evidence its rule
asks for, and no number is made up: a size without an estimate is left empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from socialops.report.findings import Message
from socialops.report.format import signed

#: Most findings a summary shows: a reader takes in five points on one screen.
MAX_FINDINGS = 5
#: Priorities of an action, most urgent first (catalog keys ``priority_<name>``).
PRIORITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Finding:
    """One finding of the summary.

    Attributes
    ----------
    message : Message
        The sentence (a catalog key and its values): the number and what to do.
    value : object
        The number or numbers the sentence states, raw (a float, or a mapping of floats), for the results.
    section : str
        The section of the chapter the finding rests on (a name of the chapter's ``SECTIONS``).
    """

    message: Message
    value: object
    section: str


@dataclass(frozen=True)
class Size:
    """The expected size of an action: an estimate with its interval (where there is one) and how it reads.

    Attributes
    ----------
    estimate : float
        The estimate, raw.
    low, high : float or None
        Its interval, raw (None when the chapter has no interval for it).
    unit : str
        What the raw numbers count: ``share``, ``points`` (a difference of shares, as a fraction), ``count`` or
        ``money``.
    text : Message
        How the size reads in the report.
    """

    estimate: float
    low: float | None
    high: float | None
    unit: str
    text: Message


@dataclass(frozen=True)
class Action:
    """One row of the action table.

    Attributes
    ----------
    what : Message
        What to do.
    where : object
        Where: a platform, an experiment, a list (text, or a tuple joined in the report's language).
    kpi : str
        Catalog key of the KPI the action moves.
    priority : str
        One of :data:`PRIORITIES`.
    size : Size or None
        The expected size, None when the data give no estimate of it.
    section : str
        The section of the chapter the action rests on (empty when none does).
    """

    what: Message
    where: object
    kpi: str
    priority: str
    size: Size | None = None
    section: str = ""

    def __post_init__(self) -> None:
        """Refuse a priority the table cannot show."""
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, not {self.priority!r}")


@dataclass(frozen=True)
class Summary:
    """What a chapter hands to the report: its findings, its actions and, on thin data, what would add more.

    Attributes
    ----------
    findings : list of Finding
        At most :data:`MAX_FINDINGS`, most important first (:func:`ranked` keeps the first ones).
    actions : list of Action
        Most urgent first.
    more_data : Message or None
        One line on the data that would add findings, when the data left sections out.
    """

    findings: list[Finding] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    more_data: Message | None = None


@dataclass(frozen=True)
class Said:
    """A catalog message used as the value of another template, written in the report's language."""

    message: Message

    def words(self, t) -> str:
        """The message's text in the language of the translator `t`."""
        return t(self.message.key, **self.message.values)


def points_size(diff: float, low: float, high: float, level: str = "95") -> Size:
    """A difference of two rates as an expected size: signed percentage points with its interval.

    Written with two decimals, as the chapters' verdicts write the same difference, so that one fact reads as
    one number wherever it is shown.
    """
    return Size(float(diff), float(low), float(high), "points",
                Message("size_points_interval", {"estimate": signed(diff, 2, 100), "low": signed(low, 2, 100),
                                                 "high": signed(high, 2, 100), "level": level}))


def ranked(findings: Iterable[Finding]) -> list[Finding]:
    """The findings as the summary shows them: the first :data:`MAX_FINDINGS`, in the order given."""
    return list(findings)[:MAX_FINDINGS]


def by_priority(actions: Iterable[Action]) -> list[Action]:
    """The actions, most urgent first (the order given kept within a priority)."""
    return sorted(actions, key=lambda a: PRIORITIES.index(a.priority))


def more_data(skipped: Mapping[str, Message], sections: Sequence[str]) -> Message | None:
    """The line on what data would add findings: the first section left out (in report order) and its reason.

    Parameters
    ----------
    skipped : Mapping[str, Message]
        The chapter's skipped sections, each with the skip message naming what to add.
    sections : Sequence[str]
        The chapter's sections in report order.

    Returns
    -------
    Message or None
        ``summary_more_data`` naming the reason of the first section left out and how many were
        (``summary_more_data_one`` when one was); None when no section was left out.
    """
    left = [name for name in sections if name in skipped] + [name for name in skipped if name not in sections]
    if not left:
        return None
    if len(left) == 1:
        return Message("summary_more_data_one", {"reason": Said(skipped[left[0]])}, "note")
    return Message("summary_more_data", {"reason": Said(skipped[left[0]]), "n": len(left)}, "note")
