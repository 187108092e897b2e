"""Checks of Chinese report text: full-width punctuation, no stray English, no catalog key shown as text.

Chinese sentences take full-width punctuation (，：；？！（）“”); an ASCII mark beside a Chinese character reads as
a typing slip. English words are allowed only for names a Chinese reader meets in English (platforms, products,
abbreviations of the trade such as RFM or KOL), listed in `ALLOWED_WORDS`. Code spans (`` `amount` ``), template
fields (``{rate}``) and web addresses are left out of every check: they are not prose.
"""

from __future__ import annotations

import re

#: A Chinese character (CJK unified ideographs and their extension A).
CJK = "\u3400-\u4dbf\u4e00-\u9fff"

#: ASCII marks that have a full-width form a Chinese sentence must use.
ASCII_MARKS = ",:;?!()\"'"

#: Latin words a Chinese text may hold: names of platforms, products and file formats, and the trade's
#: abbreviations. Compared case-sensitively, so "RFM" passes and "rfm" (a key or a column name) does not.
ALLOWED_WORDS = frozenset({
    "socialops", "RFM", "CRM", "KOL", "KOC", "ROI", "GMV", "CTR", "CSV", "Excel", "JSON", "HTML", "PDF", "PNG",
    "A/B", "AB", "ID", "IP", "UV", "PV", "DAU", "MAU", "SD", "BG/NBD", "MBG/NBD", "NBD", "Gamma", "Cox", "Kaplan",
    "Meier", "Wilson", "Newcombe", "Holm", "Fisher", "Python", "Jupyter", "Notebook", "DuckDB", "Spark", "Ibis",
    "Parquet", "SQL", "API", "App", "APP", "UTC", "CNY", "USD", "RMB", "WeChat", "Weibo", "Douyin", "TikTok",
    "Xiaohongshu", "Bilibili", "Kuaishou", "Zhihu", "Tmall", "JD", "Taobao", "SKU", "SOP", "CPM", "CPC", "CPA",
    "LTV", "CLV", "ARPU", "K", "k", "p", "z", "n", "x", "h", "pp", "vs", "Q1", "Q2", "Q3", "Q4", "HH", "MM", "DD",
    "YYYY", "ISO", "UTF", "GB", "GB18030", "BOM", "Chromium", "LibreOffice", "PowerPoint", "xlsx", "pptx", "ipynb",
    "md", "yaml", "html", "json", "csv", "parquet", "KM", "NPS", "FAQ", "PR", "CEO", "BD", "DM", "UGC", "PGC",
    "MCN", "OK", "H5", "Plus", "VIP", "SVIP", "Logo", "logo", "Vlog", "vlog", "Tag", "Top", "TOP", "CUPED", "SRM",
    "Welch", "Wald", "delta", "mSPRT", "Benjamini", "Hochberg", "Log-rank", "log-rank", "Beta", "Fader", "Hardie", "Lee", "CDNOW", "Gamma–Gamma",
})

_IGNORED = re.compile(r"`[^`]*`|\{[^{}]*\}|https?://\S+|\]\([^)]*\)|<[^>]+>")
_MARK_BESIDE_CJK = re.compile(
    rf"[{CJK}][ \t]*[{re.escape(ASCII_MARKS)}]|[{re.escape(ASCII_MARKS)}][ \t]*[{CJK}]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9/]*(?:[-'][A-Za-z0-9]+)*")
_KEY = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def prose(text: str) -> str:
    """`text` with code spans, template fields, links' targets, HTML tags and web addresses blanked out."""
    return _IGNORED.sub(" ", text)


def punctuation_problems(text: str) -> list[str]:
    """The ASCII marks written beside a Chinese character, each shown with its neighbours."""
    text = prose(text)
    return [text[max(0, m.start() - 6):m.end() + 6] for m in _MARK_BESIDE_CJK.finditer(text)]


def english_words(text: str, allowed: frozenset[str] = ALLOWED_WORDS) -> list[str]:
    """The Latin words of a Chinese text that are not names or abbreviations in `allowed`.

    A single letter is a symbol (a parameter, R, F and M of RFM) and passes; ``KOL/KOC`` passes when each part does.
    """
    return [w for w in _WORD.findall(prose(text))
            if len(w) > 1 and w not in allowed and not all(part in allowed for part in w.split("/"))]


def key_like(text: str) -> list[str]:
    """Words shaped like a catalog key or a column name (``rec_winback``, ``first_order``) shown as text."""
    return _KEY.findall(prose(text))


def problems(text: str, allowed: frozenset[str] = ALLOWED_WORDS) -> list[str]:
    """Every problem of a Chinese text, one line each (empty when it reads as Chinese should).

    Parameters
    ----------
    text : str
        Chinese text: a catalog message, a notebook cell or a page's visible text.
    allowed : frozenset of str
        The Latin words the text may hold.

    Returns
    -------
    list of str
        ``"ASCII mark: …"``, ``"English word: …"`` and ``"catalog key: …"`` lines.
    """
    return ([f"ASCII mark: {s!r}" for s in punctuation_problems(text)]
            + [f"English word: {w!r}" for w in english_words(text, allowed)]
            + [f"catalog key: {k!r}" for k in key_like(text)])
