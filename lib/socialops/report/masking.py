"""Masking personal data for client reports.

Client reports show no user ids, nicknames, phone numbers or similar, not even inside free text such as comments
and mention texts. Ids become stable pseudonyms (the same id always gives the same token), so counts, joins and
"the same user again" still read correctly; contact data inside text becomes a neutral placeholder.

The pseudonyms are salted SHA-256 digests. Without a secret salt, a short id space (phone numbers, sequential
user ids) can be enumerated and the digests reversed; set the environment variable ``SOCIALOPS_MASK_SALT`` to a
private value when reports leave the company.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where frames are masked: the runner and CLI mask text only
    import pandas as pd

__all__ = [
    "FREE_TEXT_COLUMNS",
    "PERSONAL_ID_COLUMNS",
    "SALT_ENV",
    "mask",
    "mask_frame",
    "mask_text",
    "pseudonym",
]

#: Columns (matched ignoring case) whose values identify a person; each value is replaced by its pseudonym.
PERSONAL_ID_COLUMNS = frozenset(
    {
        "user_id", "unit_id", "referrer_id", "customer_id", "member_id", "author_id", "uid",
        "open_id", "openid", "union_id", "unionid", "wechat_id", "douyin_id", "weibo_id",
        "nickname", "nick", "username", "user_name", "screen_name", "author", "commenter",
        "phone", "mobile", "telephone", "email",
        "用户id", "用户名", "昵称", "作者", "手机号", "手机", "电话", "邮箱",
    }
)  # fmt: skip

#: Columns (matched ignoring case) holding free text, where personal data is found and masked in place.
FREE_TEXT_COLUMNS = frozenset(
    {
        "text", "title", "comment", "comments_text", "content", "body", "description", "message", "reply",
        "caption", "bio", "note", "内容", "标题", "评论", "正文", "回复", "简介",
    }
)  # fmt: skip

#: Environment variable holding the secret salt of :func:`pseudonym` (never a parameter, like other secrets).
SALT_ENV = "SOCIALOPS_MASK_SALT"

# 40 bits: among 100,000 distinct ids the chance of any two sharing a token is about 0.5%, so counts and joins
# on pseudonyms stay right in practice while the token stays short enough for a table.
_TOKEN_HEX = 10
_PSEUDONYM = re.compile(rf"u-[0-9a-f]{{{_TOKEN_HEX}}}")
# Known ids shorter than this are too likely to be ordinary numbers or words (a year, "2026") to replace in text.
_MIN_KNOWN_ID = 5

_NOT_WORD_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_WORD_AFTER = r"(?![0-9A-Za-z])"
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Resident identity card: region (6), birth date (8), sequence (3), check digit or X.
_ID_CARD = re.compile(
    _NOT_WORD_BEFORE
    + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    + _NOT_WORD_AFTER
)
_COUNTRY = r"(?:(?:\+|00)?86[\s-]?)"
# Mobile: 1[3-9]x xxxx xxxx, optionally after 86, +86 or 0086, grouped 3-4-4 by spaces or dashes.
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])" + _COUNTRY + r"?1[3-9]\d(?:[\s-]?\d{4}){2}" + _NOT_WORD_AFTER)
# Landline: an area code (010, 02x, 0xxx; without the 0 after +86) and a 7-8 digit local number.
_AREA = r"(?:10|2\d|[3-9]\d{2})"
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z+])"
    + rf"(?:{_COUNTRY}{_AREA}|\(0{_AREA}\)|0{_AREA})[\s-]?[1-9]\d{{2,3}}[\s-]?\d{{4}}"
    + r"(?:\s?(?:-|转|ext\.?)\s?\d{1,5})?"
    + _NOT_WORD_AFTER
)
# @mentions as the platforms write them: Latin or Chinese letters, digits, _ and -, up to 30 characters.
_MENTION = re.compile(r"(?<![A-Za-z0-9._%+-])[@＠]([\w\-]{1,30})")
# Contact handles announced in comments ("加我vx: abc_123", "QQ 12345678"): a WeChat id is 6-20 characters
# starting with a letter (only taken when it holds a digit, "_" or "-", so "wechat payment" stays), a QQ number
# 5-11 digits. The keyword stays, the handle goes.
_HANDLE = re.compile(
    r"(?P<key>(?<![A-Za-z])(?:微信号?|威信|薇信|[vVwW][xX]|weixin|wechat|WeChat|[qQ]{2}号?|扣扣)\s*(?:号|id|ID)?\s*[:：]?\s*)"
    r"(?P<handle>(?=[A-Za-z][-_A-Za-z]*[\d_-])[A-Za-z][-_A-Za-z0-9]{5,19}|[1-9]\d{4,10})(?![-_A-Za-z0-9])"
)
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")

_PLACEHOLDERS = ((_EMAIL, "[email]"), (_ID_CARD, "[id-card]"), (_MOBILE, "[phone]"), (_LANDLINE, "[phone]"))


def _salt(salt: str | None) -> str:
    return os.environ.get(SALT_ENV, "") if salt is None else salt


def _id_text(value: Any) -> str:
    # An id read as a number (13800138000.0) must give the same token as the same id read as text.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def pseudonym(value: Any, salt: str | None = None) -> str:
    """A stable short token standing for one personal id.

    Parameters
    ----------
    value : Any
        The id (user id, nickname, phone number ...). Numbers and their text give the same token.
    salt : str, optional
        Secret mixed into the digest. Default: the environment variable ``SOCIALOPS_MASK_SALT``, else "".

    Returns
    -------
    str
        ``"u-"`` and the first 10 hex digits of SHA-256 of salt and id, e.g. ``"u-3f2a9c01be"``. A value that
        already is a pseudonym is returned unchanged, so masking twice changes nothing.
    """
    text = _id_text(value)
    if _PSEUDONYM.fullmatch(text):
        return text
    digest = hashlib.sha256(f"{_salt(salt)}\x00{text}".encode()).hexdigest()
    return "u-" + digest[:_TOKEN_HEX]


class _KnownIds:
    """Finds given ids inside text: ASCII ids by a set lookup of word tokens, the others by one pattern."""

    def __init__(self, ids: Iterable[Any]):
        texts = {_id_text(i) for i in ids}
        texts = {t for t in texts if len(t) >= _MIN_KNOWN_ID and not _PSEUDONYM.fullmatch(t)}
        self.words = {t for t in texts if _ASCII_WORD.fullmatch(t)}
        others = sorted(texts - self.words, key=len, reverse=True)  # longest first: "abc-12" before "abc-1"
        self.pattern = (
            re.compile(_NOT_WORD_BEFORE + "(?:" + "|".join(map(re.escape, others)) + ")" + _NOT_WORD_AFTER)
            if others
            else None
        )

    def sub(self, text: str, salt: str) -> str:
        if self.pattern is not None:
            text = self.pattern.sub(lambda m: pseudonym(m.group(), salt), text)
        if self.words:
            text = _ASCII_WORD.sub(
                lambda m: pseudonym(m.group(), salt) if m.group() in self.words else m.group(), text
            )
        return text


def _mask_text(text: str, known: _KnownIds, salt: str) -> str:
    for pattern, placeholder in _PLACEHOLDERS:
        text = pattern.sub(placeholder, text)
    text = _HANDLE.sub(lambda m: m["key"] + "[contact]", text)
    text = _MENTION.sub(lambda m: "@" + pseudonym(m.group(1), salt), text)
    return known.sub(text, salt)


def mask_text(s: str, known_ids: Iterable[Any] = (), salt: str | None = None) -> str:
    """Mask personal data inside free text.

    Parameters
    ----------
    s : str
        The text (a comment, a mention, a title).
    known_ids : iterable, optional
        Ids known to be personal (e.g. the user ids of the same table); wherever one appears as a whole token
        it becomes its pseudonym. Ids shorter than 5 characters are ignored, being too easily ordinary numbers.
    salt : str, optional
        As for :func:`pseudonym`.

    Returns
    -------
    str
        The text with e-mail addresses as ``[email]``, resident id card numbers as ``[id-card]``, Chinese mobile
        and landline numbers (with or without +86/0086, spaces or dashes) as ``[phone]``, WeChat ids and QQ
        numbers after their keyword ("vx:", "QQ") as ``[contact]``, and @mentions
        (Latin or Chinese nicknames) and known ids as their pseudonyms.
    """
    return _mask_text(s, _KnownIds(known_ids), _salt(salt))


def _matching(names: Iterable[Any], wanted: Iterable[str]) -> list[int]:
    keys = {w.casefold() for w in wanted}
    return [i for i, n in enumerate(names) if isinstance(n, str) and n.casefold() in keys]


def _pseudonyms(values: pd.Series | pd.Index, salt: str) -> pd.Series | pd.Index:
    import pandas as pd

    return values.astype(object).map(lambda v: v if pd.isna(v) else pseudonym(v, salt))


def mask_frame(
    df: pd.DataFrame,
    *,
    id_columns: Iterable[str] = PERSONAL_ID_COLUMNS,
    text_columns: Iterable[str] = FREE_TEXT_COLUMNS,
    salt: str | None = None,
) -> pd.DataFrame:
    """Mask the personal data of a table.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; it is not modified.
    id_columns, text_columns : iterable of str, optional
        Column names (matched ignoring case) holding personal ids and free text. Index levels named like an
        id column are masked as well.
    salt : str, optional
        As for :func:`pseudonym`.

    Returns
    -------
    pandas.DataFrame
        A copy with id values replaced by pseudonyms, free text masked by :func:`mask_text` (ids of this table
        found in the text become the same pseudonyms), missing values kept missing, and every other column,
        numbers included, untouched.
    """
    salt = _salt(salt)
    id_columns = list(id_columns)
    out = df.copy()
    id_pos = _matching(df.columns, id_columns)
    known = _KnownIds(v for i in id_pos for v in df.iloc[:, i].dropna().unique())
    for i in id_pos:
        out.isetitem(i, _pseudonyms(df.iloc[:, i], salt))
    for i in _matching(df.columns, text_columns):
        if i not in id_pos:
            out.isetitem(
                i, df.iloc[:, i].map(lambda v: _mask_text(v, known, salt) if isinstance(v, str) else v)
            )
    levels = _matching(df.index.names, id_columns)
    if levels:
        if df.index.nlevels > 1:
            out.index = out.index.set_levels(
                [_pseudonyms(df.index.levels[i], salt) for i in levels], level=levels
            )
        else:
            out.index = _pseudonyms(df.index, salt)
    return out


def mask(obj: Any, salt: str | None = None) -> Any:
    """Mask personal data in a string, Series or DataFrame; any other value is returned unchanged.

    Parameters
    ----------
    obj : Any
        A string (masked as free text), a Series (masked like a table column of the same name) or a DataFrame
        (:func:`mask_frame`).
    salt : str, optional
        As for :func:`pseudonym`.

    Returns
    -------
    Any
        The masked copy.
    """
    if isinstance(obj, str):
        return mask_text(obj, salt=salt)
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return mask_frame(obj, salt=salt)
    if isinstance(obj, pd.Series):
        name = obj.name if obj.name is not None else "value"
        return mask_frame(obj.to_frame(name), salt=salt).iloc[:, 0].rename(obj.name)
    return obj
