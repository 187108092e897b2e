"""What a chapter has to say, before it is said: a catalog key, the values of its template and how to show it.

A chapter's ``present`` functions return :class:`Message` objects; the notebook hands them to
:meth:`socialops.report.report.Report.tell`, which translates, masks and displays each one.

A value that needs words of the report's language is given as an object with a ``words(t)`` method, such as a
:class:`Duration` (a span of time with its unit), or as a tuple (a list, joined with the language's separator);
the translator writes them out when the message is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from socialops.report.format import DASH, duration, is_missing, time_unit

#: How a message can be shown, each the name of the :class:`~socialops.report.report.Report` method that shows it.
KINDS = ("say", "note", "skip")


@dataclass(frozen=True)
class Message:
    """One catalog message to show.

    Attributes
    ----------
    key : str
        Catalog key (for ``skip``, the key of the reason).
    values : dict
        Values of the template's fields.
    kind : str
        How the report shows it: ``say`` (a finding), ``note`` (a caveat) or ``skip`` (a part left out).
    """

    key: str
    values: dict[str, object] = field(default_factory=dict)
    kind: str = "say"

    def __post_init__(self) -> None:
        """Refuse a kind the report cannot show."""
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")


@dataclass(frozen=True)
class Duration:
    """A span of time to write in one unit, with the unit's word in the report's language.

    Attributes
    ----------
    hours : float or None
        The span in hours (None: unknown, shown as a dash).
    unit : str
        ``"minutes"``, ``"hours"`` or ``"days"`` (a key of `socialops.report.format.TIME_UNITS`).
    """

    hours: float | None
    unit: str = "hours"

    def words(self, t) -> str:
        """The span in the language of the translator `t`: ``"4.8 days"``, ``"4.8 天"``, a dash when unknown."""
        if is_missing(self.hours):
            return DASH
        shown = duration(self.hours, self.unit)
        return t(f"unit_{self.unit}_one" if shown == "1" else f"unit_{self.unit}", n=shown)


def durations(*hours: float | None) -> tuple[Duration, ...]:
    """The spans of one sentence, all in the one unit `format.time_unit` chooses for them."""
    unit = time_unit(*hours)
    return tuple(Duration(h, unit) for h in hours)
