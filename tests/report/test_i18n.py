"""Every message exists in both languages; lookups fail loudly on missing keys."""

from __future__ import annotations

import re

import pytest

from socialops.report.findings import Duration
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


@pytest.mark.parametrize("lang, texts", [
    ("en", ["4.8 days", "1 day", "6 hours", "1 hour", "30 minutes", "—"]),
    ("zh", ["4.8 天", "1 天", "6 小时", "1 小时", "30 分钟", "—"]),
])
def test_durations_are_written_with_their_unit(lang, texts):
    t = Translator(lang)
    spans = [Duration(114, "days"), Duration(24, "days"), Duration(6.0), Duration(1.0), Duration(0.5, "minutes"),
             Duration(float("nan"), "days")]
    assert [t.text(span) for span in spans] == texts


def test_lists_are_joined_in_the_language_and_other_values_kept():
    assert Translator("en")("section_skipped", reason=("a", "b")) == "Section skipped: a, b"
    assert Translator("zh")("section_skipped", reason=["微博", "抖音", Duration(2.0)]) == "本节略过：微博、抖音、2 小时"
    assert Translator("en").texts({"n": 3, "s": "x", "d": Duration(48, "days")}) == {"n": 3, "s": "x", "d": "2 days"}
