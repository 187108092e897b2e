"""What a chapter has to say, before it is said: a catalog key, the values of its template and how to show it.

A chapter's ``present`` functions return :class:`Message` objects; the notebook hands them to
:meth:`socialops.report.report.Report.tell`, which translates, masks and displays each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
