"""A CSV file's text: encodings checked for plausibility, long lines, separators and header lines found."""

import logging

import pytest

from socialops.inputs import csvfiles
from socialops.inputs.csvfiles import (
    Dialect,
    csv_header,
    detect_encoding,
    first_undecodable,
    longest_line,
    mixed_line_ends,
    read_as,
    sniff_dialect,
    utf8_copy,
)
from socialops.inputs.layout import ReadError

POSTS = "post_id,platform,published_at,content_type,impressions,title\n"
KNOWN = {"post_id", "platform", "published_at", "content_type", "impressions", "title", "user_id", "ts", "event"}


def known(header: str) -> bool:
    return header.strip().lower() in KNOWN


def _file(tmp_path, content: bytes, name: str = "posts.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


# ------------------------------------------------------------------------------------------------ encodings
@pytest.mark.parametrize(("encoding", "expected"), [("utf-16", "utf-16"), ("utf-32", "utf-32"),
                                                    ("utf-8-sig", "utf-8-sig")])
def test_a_byte_order_mark_names_the_encoding(tmp_path, encoding, expected):
    # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated
    path = _file(tmp_path, "post_id\ttitle\r\np1\tCrème brûlée 奶茶\r\n".encode(encoding))
    assert detect_encoding(path) == expected


def test_a_latin1_file_is_not_read_as_gb18030_but_refused_with_line_bytes_and_setting(tmp_path):
    # every byte of this file also decodes as GB18030 ("Crème" would read "Cr鑝e"): validity cannot tell
    path = _file(tmp_path, (POSTS + "p1,douyin,2026-01-01 10:00,story,10,Crème\n").encode("latin-1"))
    assert first_undecodable(path, "gb18030") is None
    with pytest.raises(ReadError) as info:
        detect_encoding(path)
    message = info.value.message
    assert info.value.file.endswith("posts.csv")
    assert message.startswith("not UTF-8: line 2 holds the bytes e8 6d 65;")
    assert "read as GB18030 the line would be 'p1,douyin,2026-01-01 10:00,story,10,Cr鑝e', which is not plausible" in message
    assert "it looks like cp1252 ('p1,douyin,2026-01-01 10:00,story,10,Crème')" in message
    assert message.endswith("set read: {posts: {encoding: cp1252}} in aliases.yaml, or save the file as UTF-8")


def test_a_cp1252_file_that_gb18030_cannot_decode_is_refused_too(tmp_path):
    path = _file(tmp_path, (POSTS + "p1,douyin,2026-01-01 10:00,story,10,“Crème brûlée” – €5\n").encode("cp1252"))
    with pytest.raises(ReadError, match=r"line 2 holds the bytes 93 43 72 e8; nor GB18030; it looks like cp1252"):
        detect_encoding(path)


def test_the_line_of_a_bad_byte_is_counted_across_chunks(tmp_path):
    body = "".join(f"p{i},douyin,2026-01-01 10:00,story,{i},plain\n" for i in range(40_000))  # about 1.6 MB
    path = _file(tmp_path, (POSTS + body + "p,douyin,2026-01-01 10:00,story,1,Déjà vu\n").encode("latin-1"))
    assert path.stat().st_size > 1 << 20
    with pytest.raises(ReadError, match=r"not UTF-8: line 40002 holds the bytes e9 6a e0 20"):
        detect_encoding(path)


def test_the_encoding_set_is_used_and_checked(tmp_path):
    path = _file(tmp_path, (POSTS + "p1,douyin,2026-01-01 10:00,story,10,Crème\n").encode("latin-1"))
    assert detect_encoding(path, "cp1252") == "cp1252"
    with pytest.raises(ReadError, match=r"does not decode as utf-8, as the encoding set: line 2, bytes e8 6d 65 0a; "
                                        r"set read: \{posts: \{encoding: ENCODING\}\}"):
        detect_encoding(path, "utf-8")


def test_a_byte_order_mark_that_lies_is_refused(tmp_path):
    path = _file(tmp_path, b"\xff\xfe" + "post_id\n".encode("utf-16-le") + b"\x00\xd8")  # a lone surrogate
    with pytest.raises(ReadError, match=r"does not decode as utf-16, as its byte-order mark says: bytes 00 d8 at byte"):
        detect_encoding(path)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_chinese_exports_keep_being_read_as_gb18030(tmp_path, encoding):
    text = "日期,平台,曝光量,标题\n2026-01-01,微博,1000,新品发布会直播回放\n2026-01-02,抖音,2000,用户评价汇总\n"
    assert detect_encoding(_file(tmp_path, text.encode(encoding))) == "gb18030"


def test_utf8_wins_over_every_other_reading(tmp_path):
    assert detect_encoding(_file(tmp_path, (POSTS + "p1,douyin,x,story,1,Crème 奶茶\n").encode())) == "utf-8"


# ---------------------------------------------------------------------------------------------------- lines
@pytest.mark.parametrize(("content", "mixed"), [(b"a\r\nb\r\n", False), (b"a\nb\n", False), (b"a\r\nb\n", True)])
def test_mixed_line_ends_are_told(tmp_path, content, mixed):
    assert mixed_line_ends(_file(tmp_path, content)) is mixed


def test_the_longest_line_is_measured_with_its_number(tmp_path):
    big = 3 * (1 << 20)
    path = _file(tmp_path, b"a,b\n1,2\n3," + b"x" * big + b"\n4,5\n")
    assert longest_line(path) == (big + 2, 3)
    cr_only = _file(tmp_path, b"a,b\r1," + b"x" * big + b"\r", "cr.csv")
    assert longest_line(cr_only) == (big + 2, 2)
    assert longest_line(_file(tmp_path, b"", "empty.csv")) == (0, 1)


def test_a_line_over_the_limit_is_refused_naming_line_and_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfiles, "MAX_LINE_BYTES", 2 << 20)
    path = _file(tmp_path, b"a,b\n1,2\n3," + b"x" * (3 << 20) + b"\n")
    with pytest.raises(ReadError, match=r"line 3 is 3 MB long, more than the 2 MB a line may hold \(the CSV "
                                        r"reader's line buffer, DuckDB's max_line_size\)") as info:
        utf8_copy(path, "utf-8", tmp_path)
    assert info.value.file.endswith("posts.csv")


def test_utf8_copy_transcodes_and_unifies_line_ends(tmp_path):
    path = _file(tmp_path, "a\tb\r\n1\tCrème\n".encode("utf-16"))
    copy, longest = utf8_copy(path, "utf-16", tmp_path / "..")
    assert copy != path and copy.read_bytes() == "a\tb\n1\tCrème\n".encode()
    assert longest < 1 << 20
    same, _ = utf8_copy(_file(tmp_path, b"a,b\n1,2\n", "plain.csv"), "utf-8", tmp_path)
    assert same.name == "plain.csv"


# -------------------------------------------------------------------------------------------------- dialect
def _sniff(path, separator=None, header_row=None):
    return sniff_dialect(path, path, "posts", separator, header_row, known)


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        (POSTS + "p1,douyin,2026-01-01 10:00,story,10,Hello; world\n", ","),
        (POSTS.replace(",", ";") + "p1;douyin;2026-01-01 10:00;story;10;1,5 Mio, wow\n", ";"),
        (POSTS.replace(",", "\t") + "p1\tdouyin\t2026-01-01 10:00\tstory\t10\tA, B; C\n", "\t"),
        (POSTS.replace(",", "|") + "p1|douyin|2026-01-01 10:00|story|10|x\n", "|"),
        ("post_id\np1\np2\n", ","),  # one column: nothing to split
    ],
)
def test_the_separator_is_found_on_the_first_lines(tmp_path, caplog, text, separator):
    caplog.set_level(logging.INFO, logger="socialops")
    dialect = _sniff(_file(tmp_path, text.encode()))
    assert dialect == Dialect(separator, 1, sniffed=True)
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
    assert f"posts.csv: {names[separator]}-separated (found on its first lines)" in caplog.text


def test_a_separator_set_is_used_as_set(tmp_path):
    path = _file(tmp_path, (POSTS + "p1,douyin,x,story,1,a\n").encode())
    assert _sniff(path, separator=";") == Dialect(";", 1, sniffed=False)


def test_a_title_line_above_the_header_is_refused_with_the_line_to_set(tmp_path):
    path = _file(tmp_path, ("Posts export 2026-01\n" + POSTS.replace(",", ";") + "p1;douyin;x;story;1;a\n").encode())
    with pytest.raises(ReadError, match=r"a title line above the header \(line 1 holds only 'Posts export 2026-01'; "
                                        r"the column names are on line 2\): set read: \{posts: \{header_row: 2\}\}"):
        _sniff(path)
    dialect = _sniff(path, header_row=2)
    assert dialect == Dialect(";", 2, sniffed=True)
    assert csv_header(path, dialect) == POSTS.strip().split(",")


def test_an_unknown_header_is_not_taken_for_a_title(tmp_path):
    # nothing in the file names a column: the reader goes on, and validation reports the missing columns
    path = _file(tmp_path, b"Report\nfoo,bar\n1,2\n")
    assert _sniff(path).separator == ","


def test_a_huge_cell_in_the_first_lines_does_not_stop_the_sniffer(tmp_path):
    path = _file(tmp_path, (POSTS.replace(",", ";") + "p1;douyin;x;story;1;" + "y" * 400_000 + "\n").encode())
    assert _sniff(path).separator == ";"


def test_excels_separator_line_sets_the_separator_and_the_header_line(tmp_path):
    path = _file(tmp_path, ("sep=;\r\n" + POSTS.replace(",", ";") + "p1;douyin;x;story;1;a,b\n").encode("utf-8-sig"))
    dialect = _sniff(path)
    assert dialect == Dialect(";", 2, sniffed=False)
    assert csv_header(path, dialect)[:2] == ["post_id", "platform"]
    assert _sniff(path, header_row=2).separator == ";"  # found as well when the header row is set


def test_read_as_says_what_is_not_utf8_with_commas():
    assert read_as("utf-16", "\t") == "read as utf-16, tab-separated"
    assert read_as("utf-8-sig", ";") == "semicolon-separated"
    assert read_as("gb18030", ",") == "read as gb18030"
    assert read_as("utf-8", ",") == read_as(None, None) == ""
    assert read_as(None, "#") == "'#'-separated"
