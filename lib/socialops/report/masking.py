"""Masking personal data for client reports.

Client reports show no user ids, nicknames, phone numbers or similar, not even inside free text such as comments
and mention texts. Ids become stable pseudonyms (the same id always gives the same token), so counts, joins and
"the same user again" still read correctly; contact data inside text becomes a neutral placeholder.

Pseudonyms are HMAC-SHA256 digests under a secret key, so that a short id space (phone numbers, sequential user
ids) cannot be enumerated to reverse them. The key exists by default: 32 random bytes created once per user in
``$XDG_CONFIG_HOME/socialops/mask-key`` (else ``~/.config/socialops/mask-key``), readable by that user only, and
read by every later run, edition, language and notebook on the machine, so an id keeps its pseudonym across them.
``SOCIALOPS_MASK_KEY_FILE`` names another key file; ``SOCIALOPS_MASK_SALT``, when set, is the key itself (to share
pseudonyms between machines).
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import io
import os
import re
import secrets
import tokenize
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where frames are masked: the runner and CLI mask text only
    import pandas as pd

__all__ = [
    "FREE_TEXT_COLUMNS",
    "KEY_FILE_ENV",
    "PERSONAL_ID_COLUMNS",
    "SALT_ENV",
    "MaskKeyError",
    "key_path",
    "mask",
    "mask_frame",
    "mask_key",
    "mask_source",
    "mask_text",
    "pseudonym",
    "read_or_create_key",
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

#: Environment variable holding a secret key for :func:`pseudonym` in place of the key file (never a parameter,
#: like other secrets).
SALT_ENV = "SOCIALOPS_MASK_SALT"
#: Environment variable naming the key file in place of the default one under the user's configuration folder.
KEY_FILE_ENV = "SOCIALOPS_MASK_KEY_FILE"
KEY_BYTES = 32
# A key shorter than this (a truncated or hand-edited file) would make the pseudonyms guessable.
_MIN_KEY_BYTES = 16

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
# starting with a letter, a QQ number 5-11 digits. After a colon any such id is taken; without one, only an id
# holding a digit, "_" or "-", so "wechat payment" stays. The keyword stays, the handle goes.
_CONTACT_KEY = r"(?<![A-Za-z])(?:微信号?|威信|薇信|[vVwW][xX]|weixin|wechat|WeChat|[qQ]{2}号?|扣扣)\s*(?:号|id|ID)?\s*"
_HANDLE_END = r"(?![-_A-Za-z0-9])"
_HANDLES = (
    re.compile(rf"(?P<key>{_CONTACT_KEY}[:：]\s*)(?P<handle>[A-Za-z][-_A-Za-z0-9]{{5,19}}|[1-9]\d{{4,10}}){_HANDLE_END}"),
    re.compile(
        rf"(?P<key>{_CONTACT_KEY})"
        rf"(?P<handle>(?=[A-Za-z][-_A-Za-z]*[\d_-])[A-Za-z][-_A-Za-z0-9]{{5,19}}|[1-9]\d{{4,10}}){_HANDLE_END}"
    ),
)
# The internal WeChat id, "wxid_" and letters or digits, needs no keyword before it.
_WXID = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9_-]{4,30}" + _HANDLE_END)
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")

_PLACEHOLDERS = (
    (_EMAIL, "[email]"), (_ID_CARD, "[id-card]"), (_MOBILE, "[phone]"), (_LANDLINE, "[phone]"), (_WXID, "[contact]")
)  # fmt: skip


class MaskKeyError(RuntimeError):
    """The masking key cannot be read or created (its file is unreadable, too short or open to other users)."""


def key_path() -> Path:
    """Where the masking key is kept.

    Returns
    -------
    pathlib.Path
        ``$SOCIALOPS_MASK_KEY_FILE`` when set, else ``socialops/mask-key`` under ``$XDG_CONFIG_HOME`` (when set to
        an absolute path) or under ``~/.config``.
    """
    given = os.environ.get(KEY_FILE_ENV)
    if given:
        return Path(given).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if os.path.isabs(config) else Path.home() / ".config"
    return base / "socialops" / "mask-key"


def _read_key(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & 0o077:
        raise MaskKeyError(f"the masking key {path} is open to other users: run chmod 600 {path}")
    key = path.read_bytes()
    if len(key) < _MIN_KEY_BYTES:
        raise MaskKeyError(f"the masking key {path} holds {len(key)} bytes, fewer than {_MIN_KEY_BYTES}: "
                           "remove it to have a new one made (pseudonyms will change)")
    return key


def _create_key(path: Path) -> None:
    """Write 32 random bytes to `path` unless it exists, so that concurrent first runs agree on one key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # complete when it appears, and never replaces a key another run made first
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_or_create_key(path: Path) -> bytes:
    """Read the masking key from `path`, creating it first if it does not exist.

    Parameters
    ----------
    path : pathlib.Path
        The key file (see :func:`key_path`).

    Returns
    -------
    bytes
        The key. A new one is 32 random bytes written with mode 0600 (its folder 0700), under a temporary name
        and then linked into place, so no reader sees a partial key and two first runs end with one key.

    Raises
    ------
    MaskKeyError
        If the file cannot be read or created, is readable by other users or holds fewer than 16 bytes.
    """
    try:
        try:
            return _read_key(path)
        except FileNotFoundError:
            _create_key(path)
            return _read_key(path)
    except OSError as error:
        raise MaskKeyError(f"cannot read or create the masking key {path} ({error.strerror or error}); "
                           f"set {KEY_FILE_ENV} to a writable file or {SALT_ENV} to a secret") from None


@cache
def _key_of_file(path: Path) -> bytes:
    return read_or_create_key(path)


def mask_key() -> bytes:
    """The secret key of :func:`pseudonym`: ``SOCIALOPS_MASK_SALT`` when set, else the key file's bytes.

    Returns
    -------
    bytes
        The key; the key file is read once per process.
    """
    salt = os.environ.get(SALT_ENV)
    if salt:
        return salt.encode()
    return _key_of_file(key_path())


def _key(salt: str | bytes | None) -> bytes:
    if salt is None:
        return mask_key()
    return salt.encode() if isinstance(salt, str) else salt


def _id_text(value: Any) -> str:
    # An id read as a number (13800138000.0) must give the same token as the same id read as text.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def pseudonym(value: Any, salt: str | bytes | None = None) -> str:
    """A stable short token standing for one personal id.

    Parameters
    ----------
    value : Any
        The id (user id, nickname, phone number ...). Numbers and their text give the same token.
    salt : str or bytes, optional
        The secret key. Default: :func:`mask_key` (``SOCIALOPS_MASK_SALT``, else the user's key file).

    Returns
    -------
    str
        ``"u-"`` and the first 10 hex digits of HMAC-SHA256 of the id under the key, e.g. ``"u-3f2a9c01be"``.
        A value that already is a pseudonym is returned unchanged, so masking twice changes nothing.
    """
    text = _id_text(value)
    if _PSEUDONYM.fullmatch(text):
        return text
    digest = hmac.new(_key(salt), text.encode(), hashlib.sha256).hexdigest()
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

    def sub(self, text: str, salt: str | bytes | None) -> str:
        if self.pattern is not None:
            text = self.pattern.sub(lambda m: pseudonym(m.group(), salt), text)
        if self.words:
            text = _ASCII_WORD.sub(
                lambda m: pseudonym(m.group(), salt) if m.group() in self.words else m.group(), text
            )
        return text


def _mask_text(text: str, known: _KnownIds, salt: str | bytes | None) -> str:
    for pattern, placeholder in _PLACEHOLDERS:
        text = pattern.sub(placeholder, text)
    for handle in _HANDLES:
        text = handle.sub(lambda m: m["key"] + "[contact]", text)
    text = _MENTION.sub(lambda m: "@" + pseudonym(m.group(1), salt), text)
    return known.sub(text, salt)


def mask_text(s: str, known_ids: Iterable[Any] = (), salt: str | bytes | None = None) -> str:
    """Mask personal data inside free text.

    Parameters
    ----------
    s : str
        The text (a comment, a mention, a title).
    known_ids : iterable, optional
        Ids known to be personal (e.g. the user ids of the same table); wherever one appears as a whole token
        it becomes its pseudonym. Ids shorter than 5 characters are ignored, being too easily ordinary numbers.
    salt : str or bytes, optional
        As for :func:`pseudonym`.

    Returns
    -------
    str
        The text with e-mail addresses as ``[email]``, resident id card numbers as ``[id-card]``, Chinese mobile
        and landline numbers (with or without +86/0086, spaces or dashes) as ``[phone]``, WeChat ids and QQ
        numbers after their keyword ("vx:", "QQ") as ``[contact]``, and @mentions
        (Latin or Chinese nicknames) and known ids as their pseudonyms.
    """
    return _mask_text(s, _KnownIds(known_ids), salt)


def _matching(names: Iterable[Any], wanted: Iterable[str]) -> list[int]:
    keys = {w.casefold() for w in wanted}
    return [i for i, n in enumerate(names) if isinstance(n, str) and n.casefold() in keys]


def _pseudonyms(values: pd.Series | pd.Index, salt: str | bytes | None) -> pd.Series | pd.Index:
    import pandas as pd

    return values.astype(object).map(lambda v: v if pd.isna(v) else pseudonym(v, salt))


def mask_frame(
    df: pd.DataFrame,
    *,
    id_columns: Iterable[str] = PERSONAL_ID_COLUMNS,
    text_columns: Iterable[str] | None = FREE_TEXT_COLUMNS,
    salt: str | bytes | None = None,
) -> pd.DataFrame:
    """Mask the personal data of a table.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; it is not modified.
    id_columns, text_columns : iterable of str, optional
        Column names (matched ignoring case) holding personal ids and free text. Index levels named like an
        id column are masked as well. ``text_columns=None`` treats the text of every other column as free text.
    salt : str or bytes, optional
        As for :func:`pseudonym`.

    Returns
    -------
    pandas.DataFrame
        A copy with id values replaced by pseudonyms, free text masked by :func:`mask_text` (ids of this table
        found in the text become the same pseudonyms), missing values kept missing, and every other column,
        numbers included, untouched.
    """
    id_columns = list(id_columns)
    out = df.copy()
    id_pos = _matching(df.columns, id_columns)
    known = _KnownIds(v for i in id_pos for v in df.iloc[:, i].dropna().unique())
    for i in id_pos:
        out.isetitem(i, _pseudonyms(df.iloc[:, i], salt))
    text_pos = range(df.shape[1]) if text_columns is None else _matching(df.columns, text_columns)
    for i in text_pos:
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


def mask(obj: Any, salt: str | bytes | None = None) -> Any:
    """Mask personal data in a string, Series or DataFrame; any other value is returned unchanged.

    Parameters
    ----------
    obj : Any
        A string (masked as free text), a Series (masked like a table column of the same name) or a DataFrame
        (:func:`mask_frame`, the text of every column not named as an id column masked as free text, whatever
        its header: a shown table's headers are translated, and data text reaches any column).
    salt : str or bytes, optional
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
        return mask_frame(obj, text_columns=None, salt=salt)
    if isinstance(obj, pd.Series):
        name = obj.name if obj.name is not None else "value"
        return mask_frame(obj.to_frame(name), text_columns=None, salt=salt).iloc[:, 0].rename(obj.name)
    return obj


def _string_literals(source: str) -> list[tuple[int, int, str]]:
    """(start, end, value) of each plain string literal of Python source, by character offset."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(token.string)
        except (ValueError, SyntaxError):  # an f-string: its text is masked with the rest of the source
            continue
        if isinstance(value, str):
            (row, col), (end_row, end_col) = token.start, token.end
            found.append((starts[row - 1] + col, starts[end_row - 1] + end_col, value))
    return found


def mask_source(source: str, salt: str | bytes | None = None) -> str:
    r"""Mask personal data in Python source, such as the parameter cell of a notebook shipped to a client.

    A string literal shows its text with escapes (``"Brand\n13912345678"``), which hides a phone number from
    :func:`mask_text`; each literal is therefore decoded, masked and written back, then the whole source is
    masked as text (comments, f-strings).

    Parameters
    ----------
    source : str
        Python code; code that does not tokenize is masked as plain text.
    salt : str or bytes, optional
        As for :func:`pseudonym`.

    Returns
    -------
    str
        The code with every literal whose text held personal data written anew with that data masked.
    """
    try:
        literals = _string_literals(source)
    except (tokenize.TokenError, SyntaxError):
        literals = []
    for start, end, value in reversed(literals):
        masked = mask_text(value, salt=salt)
        if masked != value:
            source = source[:start] + repr(masked) + source[end:]
    return mask_text(source, salt=salt)
