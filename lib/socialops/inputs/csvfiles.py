"""A CSV file's text before the engine parses it: its encoding, its lines, its separator and its header line.

The encoding is UTF-8 (with or without BOM), UTF-16 or UTF-32 with a byte-order mark (Excel's "Unicode text"), or
GB18030 (Chinese platform exports). Any other encoding must be set: single-byte encodings such as cp1252 accept
every byte, and Latin-1 text also decodes as GB18030 (``Crème`` becomes ``Cr鑝e``), so a GB18030 reading is used
only when a charset detector finds the decoded text plausible; otherwise the file is refused with the bytes that
are not UTF-8, where they are, and the setting to add.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from socialops.inputs.layout import ReadError, how_to_set, is_header, misplaced_header

log = logging.getLogger("socialops")

_CHUNK = 1 << 20
#: The longest line a CSV may have. DuckDB's CSV reader holds a line in one buffer (its ``max_line_size``); the
#: limit keeps that buffer, doubled, well inside an engine's memory limit.
MAX_LINE_BYTES = 128 << 20
#: Separators the sniffer tries, in the order it prefers them when they fit equally well.
SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: How much of a file's start the sniffer reads.
_SNIFF_BYTES = 256 << 10
#: How much text, from lines that are not ASCII, the charset detector judges.
_SAMPLE_BYTES = 64 << 10
UTF8_NAMES = ("utf-8", "utf-8-sig")
#: Byte-order marks, the longer first (UTF-32-LE's starts with UTF-16-LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# ------------------------------------------------------------------------------------------------- encoding
def detect_encoding(path: str | os.PathLike, setting: str | None = None, table: str | None = None) -> str:
    """Return the encoding to read a CSV file in, after checking that the whole file decodes in it.

    Parameters
    ----------
    path : path
        The CSV file.
    setting : str, optional
        The table's ``encoding`` setting; when given it is used (and checked), nothing is guessed.
    table : str, optional
        The table the file holds, for the setting a message proposes (default: the file's name).

    Returns
    -------
    str
        ``utf-8``, ``utf-8-sig``, ``utf-16``, ``utf-32``, ``gb18030`` or the setting.

    Raises
    ------
    ReadError
        When the file is empty or binary, does not decode in the encoding set or marked, or is neither UTF-8 nor
        plausible GB18030: the message names the line and bytes and the ``encoding`` setting to add.
    """
    path = Path(path)
    table = table or path.stem.lower()
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head:
        raise ReadError(path, "the file is empty")
    marked = next((encoding for mark, encoding in _BOMS if head.startswith(mark)), None)
    if setting or marked:
        encoding = setting or marked
        bad = first_undecodable(path, encoding)
        if bad is not None:
            why = "the encoding set" if setting else "its byte-order mark says"
            raise ReadError(path, f"does not decode as {encoding}, as {why}: {_where(path, bad, encoding)}; "
                                  f"{how_to_set(table, 'encoding', 'ENCODING')} with the file's real encoding")
        return encoding
    if b"\x00" in head:
        raise ReadError(path, _binary(head, table))
    bad = first_undecodable(path, "utf-8", binary=table)
    if bad is None:
        return "utf-8"
    gb18030 = first_undecodable(path, "gb18030") is None
    if gb18030 and _plausible(path, "gb18030"):
        return "gb18030"
    raise ReadError(path, _doubtful(path, bad, table, gb18030=gb18030))


def first_undecodable(path: Path, encoding: str, *, binary: str | None = None) -> int | None:
    """The byte offset of the first byte of `path` that does not decode in `encoding`, or None.

    With `binary` (the table's name), a zero byte anywhere refuses the file as binary.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if binary and b"\x00" in chunk:
                raise ReadError(path, _binary(chunk, binary))
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            offset += len(chunk)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
    return None


def _binary(head: bytes, table: str) -> str:
    """Why a file with zero bytes is refused; text in UTF-16 without a byte-order mark is named as such."""
    half = max(len(head) // 2, 1)
    even, odd = head[0::2].count(0), head[1::2].count(0)
    guess = None
    if odd > 0.3 * half and even * 10 < odd:  # ASCII text in UTF-16-LE: a zero after every character
        guess = "utf-16-le"
    elif even > 0.3 * half and odd * 10 < even:
        guess = "utf-16-be"
    if guess:
        return (f"binary content: every other byte is zero, as in UTF-16 text without a byte-order mark; if it is "
                f"text, {how_to_set(table, 'encoding', guess)}")
    return "binary content, not a CSV text file (saved in another format?)"


def _non_ascii_sample(path: Path) -> bytes:
    """Lines of `path` that are not ASCII, up to `_SAMPLE_BYTES`: what a charset detector should judge."""
    lines, size = [], 0
    with path.open("rb") as fh:
        for line in fh:
            if not line.isascii():
                lines.append(line)
                size += len(line)
                if size >= _SAMPLE_BYTES:
                    break
    return b"".join(lines)


def _plausible(path: Path, encoding: str) -> bool:
    """Whether a charset detector (charset-normalizer) finds the file's non-ASCII lines plausible in `encoding`."""
    from charset_normalizer import from_bytes

    return from_bytes(_non_ascii_sample(path), cp_isolation=[encoding]).best() is not None


def _guess(path: Path) -> str | None:
    """The encoding a charset detector finds most plausible (cp1252 when it is among the best), or None."""
    from charset_normalizer import from_bytes

    # a file without zero bytes is no UTF-16 or UTF-32, whatever the detector makes of a few bytes
    results = [r for r in from_bytes(_non_ascii_sample(path)) if not r.encoding.startswith(("utf", "gb18030"))]
    if not results:
        return None
    best = min(r.chaos for r in results)
    tied = [r.encoding for r in results if r.chaos <= best]
    return "cp1252" if "cp1252" in tied else tied[0]


def _line_of(path: Path, offset: int) -> tuple[int, bytes, int]:
    r"""The line number of the byte at `offset`, the bytes of its line and where in them the byte is.

    Lines are counted by the byte ``\n``, as in every encoding but UTF-16 and UTF-32.
    """
    number, start = 1, 0
    with path.open("rb") as fh:
        while start + _CHUNK <= offset and (chunk := fh.read(_CHUNK)):
            number += chunk.count(b"\n")
            start += len(chunk)
        window = fh.read(offset - start + 400)
    before = window[: offset - start]
    number += before.count(b"\n")
    begin = before.rfind(b"\n") + 1
    end = window.find(b"\n", offset - start)
    return number, window[begin : end if end >= 0 else len(window)], offset - start - begin


def _where(path: Path, offset: int, encoding: str) -> str:
    """Where a byte that does not decode is: the line (where lines can be counted in bytes) and the bytes."""
    with path.open("rb") as fh:
        fh.seek(offset)
        found = fh.read(4)
    shown = " ".join(f"{b:02x}" for b in found)
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        return f"bytes {shown} at byte {offset:,}"
    return f"line {_line_of(path, offset)[0]}, bytes {shown}"


def _doubtful(path: Path, offset: int, table: str, *, gb18030: bool) -> str:
    """The refusal of a file that is not UTF-8 and not plausibly GB18030, with what it may be and what to set."""
    number, line, column = _line_of(path, offset)
    shown = " ".join(f"{b:02x}" for b in line[column : column + 4])
    line = line[max(0, column - 60) : column + 60]
    guess = _guess(path)
    as_gb = line.decode("gb18030", errors="replace").strip()
    said = [f"not UTF-8: line {number} holds the bytes {shown}",
            f"read as GB18030 the line would be {as_gb!r}, which is not plausible text" if gb18030
            else "nor GB18030"]
    if guess:
        said.append(f"it looks like {guess} ({line.decode(guess, errors='replace').strip()!r}); if that is right, "
                    f"{how_to_set(table, 'encoding', guess)}, or save the file as UTF-8")
    else:
        said.append(f"{how_to_set(table, 'encoding', 'ENCODING')} with the file's encoding (cp1252, latin-1 …), "
                    f"or save the file as UTF-8")
    return "; ".join(said)


# ---------------------------------------------------------------------------------------------------- lines
def mixed_line_ends(path: str | os.PathLike) -> bool:
    r"""Return True when a file ends its lines in more than one way (``\r\n``, ``\n``, ``\r``).

    Files pasted together from Windows and Unix exports have them; the engine's CSV parser expects one.
    """
    crlf = lf = cr = 0
    tail = b""
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            data = tail + chunk
            # hold back a final \r: its \n may start the next chunk
            data, tail = (data[:-1], b"\r") if data.endswith(b"\r") else (data, b"")
            pairs = data.count(b"\r\n")
            crlf, lf, cr = crlf + pairs, lf + data.count(b"\n") - pairs, cr + data.count(b"\r") - pairs
    cr += len(tail)
    return sum(1 for n in (crlf, lf, cr) if n) > 1


def longest_line(path: str | os.PathLike) -> tuple[int, int]:
    r"""The length in bytes of a file's longest line and its line number, counting lines by ``\n``.

    Only lines longer than a read chunk (1 MiB) are measured exactly; shorter ones may count as shorter than
    they are, which is all a reader's buffer size needs. A file without ``\n`` is measured by ``\r``.
    """
    path = Path(path)
    with path.open("rb") as fh:
        end = b"\n" if b"\n" in fh.read(_CHUNK) or not path.stat().st_size else b"\r"
    longest, at, run, line = 0, 1, 0, 1
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            first = chunk.find(end)
            if first < 0:
                run += len(chunk)
                continue
            if run + first > longest:
                longest, at = run + first, line
            line += chunk.count(end)
            run = len(chunk) - chunk.rfind(end) - 1
    if run > longest:
        longest, at = run, line
    return longest, at


def transcode(path: Path, encoding: str, folder: str | os.PathLike, *, newlines: bool = False) -> Path:
    r"""Write a UTF-8 copy of `path` into `folder` (the input itself is never touched).

    With `newlines`, every line end becomes ``\n`` (also inside quoted cells, where a lone ``\r`` means nothing).
    """
    out = Path(folder) / f"{path.stem}.utf8.csv"
    with (path.open("r", encoding=encoding, newline=None if newlines else "") as src,
          out.open("w", encoding="utf-8", newline="") as dst):
        shutil.copyfileobj(src, dst, _CHUNK)
    return out


def utf8_copy(path: Path, encoding: str, folder: str | os.PathLike) -> tuple[Path, int]:
    """`path` as UTF-8 with one kind of line end (the file itself when it already is), and its longest line.

    Returns
    -------
    (Path, int)
        The file to give the engine and the length in bytes of its longest line.

    Raises
    ------
    ReadError
        When a line is longer than `MAX_LINE_BYTES`, naming the line and the limit.
    """
    copy = path if encoding in UTF8_NAMES else transcode(path, encoding, folder)
    if mixed_line_ends(copy):
        log.info("%s mixes line endings; reading a copy with one kind", path.name)
        copy = transcode(copy, "utf-8-sig", folder, newlines=True)
    longest, line = longest_line(copy)
    if longest > MAX_LINE_BYTES:
        raise ReadError(path, f"line {line} is {longest / (1 << 20):,.0f} MB long, more than the "
                              f"{MAX_LINE_BYTES >> 20} MB a line may hold (the CSV reader's line buffer, DuckDB's "
                              f"max_line_size): shorten or empty the cell that large and export again")
    return copy, longest


# ------------------------------------------------------------------------------------------------- dialect
def read_as(encoding: str | None, separator: str | None) -> str:
    """How a CSV was read, in words, where that is not UTF-8 with commas (``""`` where it is).

    Parameters
    ----------
    encoding, separator : str or None
        As a `RawTable` holds them (None for workbooks and Parquet).

    Returns
    -------
    str
        For example ``read as utf-16, tab-separated``.
    """
    said = []
    if encoding not in (None, "", *UTF8_NAMES):
        said.append(f"read as {encoding}")
    if separator not in (None, ","):
        said.append(f"{SEPARATOR_NAMES.get(separator, repr(separator))}-separated")
    return ", ".join(said)


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is laid out.

    Attributes
    ----------
    separator : str
        The field separator.
    header_row : int
        The line holding the column names, counted from 1.
    sniffed : bool
        Whether the separator was found on the first lines rather than set.
    """

    separator: str
    header_row: int
    sniffed: bool


def _records(text: str, separator: str) -> list[list[str]]:
    """The records of a file's first lines; parsing stops quietly at the first it cannot read (a cut-off cell)."""
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    try:
        for row in reader:
            rows.append(row)
    except csv.Error:
        pass
    return rows


def _head_text(path: Path) -> tuple[str, bool]:
    """The first lines of a UTF-8 file as text, and whether the file goes on after them."""
    with path.open("rb") as fh:
        data = fh.read(_SNIFF_BYTES + 1)
    cut = len(data) > _SNIFF_BYTES
    if cut:
        data = data[: max(data.rfind(b"\n", 0, _SNIFF_BYTES), 0)]
    return data.decode("utf-8-sig", errors="replace"), cut


def _fit(records: list[list[str]], cut: bool) -> tuple[bool, int] | None:
    """How well a separator splits the records: whether every record has the header's width, and that width."""
    rows = [r for r in records if r]
    if cut and len(rows) > 1:
        rows = rows[:-1]  # the last record may be cut short
    if not rows or len(rows[0]) < 2:
        return None
    width = len(rows[0])
    return all(len(r) == width for r in rows[1:]), width


def sniff_dialect(path: Path, file: Path, table: str, separator: str | None, header_row: int | None,
                  known: Callable[[str], bool]) -> Dialect:
    """The separator and header line of a UTF-8 CSV, found on its first lines unless set.

    The separator is the one of `SEPARATORS` that gives the header line at least two fields and every line the
    header's number of fields (the most fields, then the order of `SEPARATORS`, decides between several). A first
    line ``sep=;``, which Excel reads and writes, sets the separator and puts the header on line 2.

    Parameters
    ----------
    path : Path
        The UTF-8 text (the file itself or its copy).
    file : Path
        The file as the user named it, for messages.
    table : str
        Contract table name.
    separator, header_row : optional
        The table's settings.
    known : callable
        Whether a header names a column of the table.

    Returns
    -------
    Dialect

    Raises
    ------
    ReadError
        When the column names are on a later line than expected (a title line above the header, say), naming
        the line to set as ``header_row``.
    """
    text, cut = _head_text(path)
    hint = _excel_separator_line(text)
    if hint and header_row is None:  # Excel's "sep=;" line: it names the separator, the header follows it
        separator, header_row = separator or hint, 2
    first = header_row or 1
    parsed = {sep: _records(text, sep)[first - 1 :] for sep in ((separator,) if separator else SEPARATORS)}
    if not any(rows and is_header(rows[0], known) for rows in parsed.values()):
        moved = (misplaced_header(table, rows, first, known, unit="line") for rows in parsed.values())
        if why := next((m for m in moved if m), None):
            raise ReadError(file, why)
    if separator:
        return Dialect(separator, first, sniffed=False)
    fits = [(*fit, -order, sep) for order, (sep, rows) in enumerate(parsed.items()) if (fit := _fit(rows, cut))]
    found = max(fits)[-1] if fits else ","
    log.info("%s: %s-separated (found on its first lines)", file.name, SEPARATOR_NAMES[found])
    return Dialect(found, first, sniffed=True)


def _excel_separator_line(text: str) -> str | None:
    """The separator an Excel ``sep=X`` first line names, or None when the file has none."""
    line = text.split("\n", 1)[0].rstrip("\r")
    return line[4] if len(line) == 5 and line.lower().startswith("sep=") else None


def csv_header(path: Path, dialect: Dialect) -> list[str]:
    """The column names of a UTF-8 CSV: the fields of its header line.

    Raises
    ------
    ReadError
        When the header line cannot be parsed.
    """
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=dialect.separator)
        try:
            for number, row in enumerate(reader, start=1):
                if number == dialect.header_row:
                    return row
        except csv.Error as exc:
            raise ReadError(path, f"the header line cannot be read: {exc}") from exc
    return []
