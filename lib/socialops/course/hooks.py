"""MkDocs hook of the course site: heading anchors on notebook pages that match the page's table of contents.

mkdocs-jupyter slugs a notebook's headings to ASCII on both sides, so a Chinese heading gets an empty id in the
page while its table-of-contents entry points at ``#_1``, ``#_2`` …; every link of the Chinese tables of contents
would go nowhere. This hook gives each heading the anchor its table-of-contents entry uses, matching by text in
order. Hand-written because neither plugin lets the slug function be chosen.
"""

from __future__ import annotations

import re
from html import unescape

_HEADING = re.compile(r'<(h[1-6]) id="([^"]*)"(.*?)</\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


def _text(html: str) -> str:
    return unescape(_TAG.sub("", html)).replace("¶", "").strip()


def _anchors(toc) -> list[tuple[str, str]]:
    """(title, anchor) of every table-of-contents entry, depth first, in page order."""
    found = []
    for item in toc:
        found.append((_text(item.title), item.id))
        found.extend(_anchors(item.children))
    return found


def heading_anchors(html: str, toc) -> str:
    """Return ``html`` with each heading's id (and its pilcrow link) set to its table-of-contents anchor.

    Parameters
    ----------
    html : str
        A rendered notebook page.
    toc : iterable
        The page's table of contents (MkDocs ``AnchorLink`` items with ``title``, ``id`` and ``children``).
    """
    pending = _anchors(toc)

    def fix(match: re.Match) -> str:
        tag, old, rest = match.groups()
        text = _text(rest.split(">", 1)[-1])
        for index, (title, anchor) in enumerate(pending):
            if title == text:
                del pending[index]
                rest = rest.replace(f'href="#{old}"', f'href="#{anchor}"', 1)
                return f'<{tag} id="{anchor}"{rest}</{tag}>'
        return match.group(0)

    return _HEADING.sub(fix, html)


def on_page_content(html, page, config, files):
    """MkDocs event: fix the heading anchors of notebook pages; leave Markdown pages as they are."""
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    return heading_anchors(html, page.toc)
