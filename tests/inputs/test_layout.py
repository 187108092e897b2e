"""Where a file's header is, and the setting a refusal proposes."""

import pytest
import yaml

from socialops.inputs.layout import ReadError, header_below, how_to_set, is_header, misplaced_header

COLUMNS = {"post_id", "platform", "published_at", "impressions"}


def known(header: str) -> bool:
    return header.strip().lower() in COLUMNS


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("header_row", 2, "{posts: {header_row: 2}}"),
        ("separator", ";", '{posts: {separator: ";"}}'),
        ("sheet", "Data 2024", '{posts: {sheet: "Data 2024"}}'),
        ("sheet", "数据", "{posts: {sheet: 数据}}"),
        ("encoding", "utf-16-le", "{posts: {encoding: utf-16-le}}"),
    ],
)
def test_how_to_set_gives_a_line_to_copy_into_aliases_yaml(setting, value, expected):
    text = how_to_set("posts", setting, value)
    assert text == f"set read: {expected} in aliases.yaml"
    # what it proposes is YAML that gives back the value
    assert yaml.safe_load(f"read: {expected}")["read"]["posts"][setting] == value


def test_a_header_names_two_known_columns_or_only_known_ones():
    assert is_header(["post_id", "platform", "Caption"], known)
    assert is_header(["platform", None, ""], known)
    assert not is_header(["Monthly report", None], known)
    assert not is_header(["p1", "douyin", "2026-01-01"], known)
    assert not is_header([], known)


def test_the_header_below_a_title_is_found():
    rows = [["Posts, March"], [], ["post_id", "platform"], ["p1", "douyin"]]
    assert header_below(rows, known) == 2
    assert header_below(rows[2:], known) is None  # already the header
    assert header_below([["x"], ["p1", "douyin"]], known) is None  # no header anywhere: nothing to propose


@pytest.mark.parametrize(
    ("first_row", "says"),
    [
        (["Posts, March"], "a title row above the header (row 1 holds only 'Posts, March'; the column names are on row 2)"),
        ([None, ""], "row 1 is empty and the column names are on row 2"),
        (["from", "to"], "the column names are on row 2, not on row 1"),
    ],
)
def test_a_misplaced_header_is_explained_with_the_row_to_set(first_row, says):
    message = misplaced_header("posts", [first_row, ["post_id", "platform"]], 1, known)
    assert message == f"{says}: set read: {{posts: {{header_row: 2}}}} in aliases.yaml"


def test_lines_are_counted_from_the_header_row_set():
    message = misplaced_header("posts", [["Export"], ["post_id", "platform"]], 3, known, unit="line")
    assert message.startswith("a title line above the header (line 3 holds only 'Export'")
    assert message.endswith("{header_row: 4}} in aliases.yaml")


def test_read_error_names_the_file():
    error = ReadError("posts.csv", "the file is empty")
    assert (error.file, error.message, str(error)) == ("posts.csv", "the file is empty", "posts.csv: the file is empty")
