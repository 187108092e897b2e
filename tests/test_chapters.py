"""The chapter registry: ids, short names and notebook paths."""

from __future__ import annotations

import pytest

from socialops.chapters import CHAPTERS, NOTEBOOK_DIR, notebook_path, resolve_chapter, short_name


def test_five_chapters_in_order_each_with_a_notebook():
    assert [c[:2] for c in CHAPTERS] == ["01", "02", "03", "04", "05"]
    for chapter in CHAPTERS:
        assert notebook_path(chapter) == NOTEBOOK_DIR / f"{chapter}.ipynb"
        assert notebook_path(chapter).is_file(), chapter


def test_short_name_drops_the_number():
    assert short_name("01_platform_matrix") == "platform_matrix"
    assert short_name("05_crisis_postmortem") == "crisis_postmortem"


@pytest.mark.parametrize("name", ["04_churn", "churn", "04"])
def test_a_chapter_is_named_by_id_short_name_or_number(name):
    assert resolve_chapter(name) == "04_churn"


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(KeyError) as error:
        resolve_chapter("crisis")
    message = error.value.args[0]
    assert "'crisis'" in message and "05_crisis_postmortem (crisis_postmortem)" in message
    assert all(c in message for c in CHAPTERS)
