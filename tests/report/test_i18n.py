"""Every message exists in both languages; lookups fail loudly on missing keys."""

from __future__ import annotations

import re

import pytest

from socialops.report.i18n import LANGUAGES, MESSAGE_DIR, Translator, load_catalog

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("path", sorted(MESSAGE_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_catalog_has_both_languages_with_the_same_placeholders(path):
    catalog = load_catalog(path.stem)
    assert catalog, f"{path.name} is empty"
    for key, entry in catalog.items():
        assert set(entry) == set(LANGUAGES), key
        fields = {lang: set(re.findall(r"{(\w+)[^}]*}", entry[lang])) for lang in LANGUAGES}
        assert fields["en"] == fields["zh"], f"{path.name}:{key} placeholders differ"
        assert entry["en"].strip() and entry["zh"].strip(), key


def test_chinese_catalog_is_chinese():
    zh = Translator("zh")
    assert CJK.search(zh("header_client"))
    assert zh("platform_douyin") == "抖音"


def test_chapter_catalog_is_searched_before_common():
    t = Translator("en", "no_such_chapter")
    assert t("header_client") == "Client"
    assert t("section_skipped", reason="x") == "Section skipped: x"


def test_missing_key_raises():
    with pytest.raises(KeyError, match="nonexistent"):
        Translator("en")("nonexistent")


def test_unknown_language_refused():
    with pytest.raises(ValueError):
        Translator("fr")


def test_column_headers_and_data_labels_come_from_the_catalog():
    t = Translator("en", "platform_matrix")
    assert t.col("platform") == t("col_platform")
    assert t.label("ct", "tutorial") == t("ct_tutorial")
    assert t.label("ct", "unboxing") == "unboxing"  # a value the catalog does not know is shown as given
