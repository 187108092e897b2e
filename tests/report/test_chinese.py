"""The Chinese reads as Chinese: full-width punctuation, no stray English, no catalog key, no literal ``**``.

Checked on every Chinese text the project writes: the report catalogs, the notebooks' ``lang-zh`` cells, the
playbook's Chinese pages, and (marked ``notebook``, minutes) the Chinese client edition of each chapter as rendered.
"""

from __future__ import annotations

import html
import json
import re
import string

import pytest
import yaml
from markdown_it import MarkdownIt

from socialops.report.chinese import (
    CJK,
    english_words,
    key_like,
    problems,
    prose,
    punctuation_problems,
)
from socialops.report.i18n import MESSAGE_DIR, Translator
from socialops.report.report import message_html
from tests.conftest import ROOT

CHAPTERS = ("01_platform_matrix", "02_lifecycle", "03_ab_testing", "04_churn", "05_crisis_postmortem")
CATALOGS = sorted(p.stem for p in MESSAGE_DIR.glob("*.yaml"))
PLAYBOOK = sorted((ROOT / "playbook" / "zh").glob("*.md"))

def _markdown_leftovers(rendered: str) -> list[str]:
    """``**`` (or a lone ``*`` pair) CommonMark left as text: emphasis it could not close."""
    text = re.sub(r"<code>.*?</code>", "", rendered, flags=re.S)
    return [text[max(0, m.start() - 12):m.end() + 12] for m in re.finditer(r"\*\*", text)]


# ---------------------------------------------------------------- the checks themselves
def test_ascii_marks_beside_chinese_are_found():
    assert punctuation_problems("首次回应用时,距爆发 6 小时") and punctuation_problems('优惠"带回了"客户')
    assert punctuation_problems("（含 95% 区间)") and punctuation_problems("为什么?")
    assert not punctuation_problems("首次回应用时，距爆发 6 小时（含 95% 区间）：“带回了”客户？")
    # numbers, code, template fields and web addresses are not prose
    assert not punctuation_problems("区间 1,234 至 5,678，`a, b` 列，{rate:,} 与 https://x.cn/a,b 中")


def test_english_words_pass_only_as_names():
    assert english_words("上线 variant，age:25-34 的客户") == ["variant", "age"]
    assert english_words("小红书、B站、RFM 分群、KOL/KOC、A/B 测试、参数 k 与 `amount` 列") == []


def test_catalog_keys_and_column_names_are_found_outside_code():
    assert key_like("请添加 referrer_id") == ["referrer_id"] and key_like("请添加 `referrer_id` 列") == []
    assert [line.split(":")[0] for line in problems("导出到 exports 文件夹,")] == ["ASCII mark", "English word"]
    assert prose("{a_b} `c_d` [链接](https://e_f)").split() == ["[链接"]


def test_commonmark_leaves_emphasis_open_before_chinese_punctuation():
    # why the catalogs write "**预警**：…", never "**预警。**预警…"
    md = MarkdownIt("commonmark")
    assert _markdown_leftovers(md.render("**预警。**预警在爆发后发出"))
    assert not _markdown_leftovers(md.render("**预警**：预警在爆发后发出"))


# ---------------------------------------------------------------- the report catalogs
def _entries(name: str) -> dict[str, dict[str, str]]:
    return yaml.safe_load((MESSAGE_DIR / f"{name}.yaml").read_text(encoding="utf-8")) or {}


@pytest.mark.parametrize("name", CATALOGS)
def test_catalog_chinese_reads_as_chinese(name):
    found = {key: problems(entry["zh"]) for key, entry in _entries(name).items()}
    found = {key: lines for key, lines in found.items() if lines}
    assert not found, "\n".join(f"{name}.yaml {key}: {lines}" for key, lines in found.items())


@pytest.mark.parametrize("name", CATALOGS)
def test_catalog_chinese_is_translated(name):
    # an English sentence copied into zh is an untranslated message (names such as "socialops" aside)
    same = [key for key, entry in _entries(name).items() if entry["zh"] == entry["en"] and english_words(entry["zh"])]
    assert not same, f"{name}.yaml: zh is the English text of {same}"


@pytest.mark.parametrize("name", CATALOGS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_catalog_emphasis_renders(name, lang):
    t = Translator(lang, name)
    left = {}
    for key, entry in _entries(name).items():
        fields = {f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f}
        rendered = message_html(t, key, dict.fromkeys(fields, "9"))
        if _markdown_leftovers(rendered):
            left[key] = _markdown_leftovers(rendered)
    assert not left, left


# ---------------------------------------------------------------- notebooks and playbook
def _zh_cells(chapter: str) -> list[tuple[int, str]]:
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"])
            if "lang-zh" in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_chinese_cells_read_as_chinese(chapter):
    md = MarkdownIt("commonmark")
    found = {i: problems(text) + [f"literal **: {s!r}" for s in _markdown_leftovers(md.render(text))]
             for i, text in _zh_cells(chapter)}
    found = {i: lines for i, lines in found.items() if lines}
    assert not found, "\n".join(f"{chapter} cell {i}: {lines}" for i, lines in found.items())


@pytest.mark.parametrize("page", PLAYBOOK, ids=[p.stem for p in PLAYBOOK])
def test_playbook_chinese_reads_as_chinese(page):
    text = page.read_text(encoding="utf-8")
    found = problems(text) + [f"literal **: {s!r}" for s in _markdown_leftovers(MarkdownIt("commonmark").render(text))]
    assert not found, found


def test_the_report_has_a_trade_name_in_chinese():
    zh = Translator("zh")
    assert zh("index_title") == "企业社交媒体运营报告" and "手册" not in zh("suite_name") + zh("index_intro")


# ---------------------------------------------------------------- the rendered Chinese editions
def _visible_text(page: str) -> str:
    """The text a reader sees: scripts, styles, code and images dropped, tags removed, entities read."""
    page = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


_BETWEEN = re.compile(rf"[{CJK}][ \t]*[,:;?!()\"'][ \t]*[{CJK}]")


def _all_keys() -> set[str]:
    return {key for name in CATALOGS for key in _entries(name) if "_" in key}


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_rendered_chinese_edition_reads_as_chinese(chapter, chapter_run):
    run = chapter_run(chapter, lang="zh")
    assert run.exit_code == 0, run.stderr
    text = _visible_text(run.html)
    marks = [text[max(0, m.start() - 8):m.end() + 8] for m in _BETWEEN.finditer(text)]
    stars = [text[max(0, m.start() - 12):m.end() + 12] for m in re.finditer(r"\*\*", text)]
    keys = sorted(set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text)) & _all_keys())
    assert not (marks or stars or keys), {"ASCII marks": marks, "literal **": stars, "catalog keys": keys}


def test_rendered_text_drops_code_and_markup():
    page = '<style>a{b:c}</style><p>提及&amp;回应</p><pre>x, y</pre><code>a_b</code><script>1</script>'
    assert _visible_text(page).split() == ["提及&回应"]
