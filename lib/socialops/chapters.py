"""The chapter registry: ids, short names and notebook paths."""

from __future__ import annotations

import os
from pathlib import Path

CHAPTERS: tuple[str, ...] = (
    "01_platform_matrix",
    "02_lifecycle",
    "03_ab_testing",
    "04_churn",
    "05_crisis_postmortem",
)

#: Where the notebooks live: beside the package in a source checkout (tests may point elsewhere).
NOTEBOOK_DIR = Path(os.environ.get("SOCIALOPS_NOTEBOOK_DIR") or Path(__file__).resolve().parents[2] / "notebooks")


def short_name(chapter: str) -> str:
    """Return the short name of a chapter id (``01_platform_matrix`` → ``platform_matrix``)."""
    return chapter.split("_", 1)[1]


def resolve_chapter(name: str) -> str:
    """Return the chapter id for a chapter id or short name.

    Raises
    ------
    KeyError
        If ``name`` names no chapter; the message lists the valid names.
    """
    for chapter in CHAPTERS:
        if name in (chapter, short_name(chapter), chapter[:2]):
            return chapter
    valid = ", ".join(f"{c} ({short_name(c)})" for c in CHAPTERS)
    raise KeyError(f"unknown chapter {name!r}; valid chapters: {valid}")


def notebook_path(chapter: str) -> Path:
    """Return the path of a chapter's notebook."""
    return NOTEBOOK_DIR / f"{chapter}.ipynb"
