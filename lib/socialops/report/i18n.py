"""The message catalog: every label, header and finding in English and Chinese.

Messages live in ``messages/*.yaml`` beside this module: ``common.yaml`` for what all chapters share and one file
per chapter (named by its short name). Each entry is ``key: {en: "...", zh: "..."}``; values are
``str.format`` templates.

A template's value may be an object with a ``words(t)`` method (such as a
:class:`~socialops.report.findings.Duration`, written with its unit's word), or a tuple or list (its items
joined with ``list_sep``, "、" in Chinese); every other value is used as it is.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGUAGES = ("en", "zh")
MESSAGE_DIR = Path(__file__).with_name("messages")


@cache
def load_catalog(name: str) -> dict[str, dict[str, str]]:
    """Load one catalog file (``common`` or a chapter's short name); an absent file is an empty catalog."""
    path = MESSAGE_DIR / f"{name}.yaml"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
            raise ValueError(f"{path.name}: message {key!r} must give exactly {LANGUAGES}")
    return data


class Translator:
    """Look up messages for one chapter in one language.

    Parameters
    ----------
    lang : str
        ``"en"`` or ``"zh"``.
    chapter : str, optional
        Short name of the chapter whose catalog is searched before ``common``.
    """

    def __init__(self, lang: str, chapter: str | None = None) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
        self.lang = lang
        self.catalogs = ([load_catalog(chapter)] if chapter else []) + [load_catalog("common")]

    def has(self, key: str) -> bool:
        """Whether ``key`` is in the catalog."""
        return any(key in catalog for catalog in self.catalogs)

    def __call__(self, key: str, **values: object) -> str:
        """Return the message ``key`` in this language, formatted with ``values``.

        Raises
        ------
        KeyError
            If no catalog holds ``key`` (a missing label is a bug, not a silent English fallback).
        """
        for catalog in self.catalogs:
            if key in catalog:
                template = catalog[key][self.lang]
                return template.format(**self.texts(values)) if values else template
        raise KeyError(f"no message {key!r} in the catalog")

    def col(self, name: str, **values: object) -> str:
        """Return the header of table column `name` (catalog key ``col_<name>``) in this language."""
        return self(f"col_{name}", **values)

    def label(self, prefix: str, value: object) -> str:
        """Return the display name of a data value (catalog key ``<prefix>_<value>``), or the value as given.

        Data values such as content types or audience dimensions may be ones the catalog does not know; those are
        shown as they are.
        """
        key = f"{prefix}_{value}"
        return self(key) if self.has(key) else str(value)

    def text(self, value: object) -> object:
        """A template value in this language: what its ``words(t)`` says, a tuple or list joined, else itself."""
        if callable(getattr(value, "words", None)):
            return value.words(self)
        if isinstance(value, tuple | list):
            return self("list_sep").join(str(self.text(item)) for item in value)
        return value

    def texts(self, values: dict[str, object]) -> dict[str, object]:
        """Every value of a template through :meth:`text`."""
        return {name: self.text(value) for name, value in values.items()}
