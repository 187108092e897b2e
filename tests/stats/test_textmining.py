"""The most frequent words of negative mentions: personal data and stop words kept out, texts weighted by count."""

import pandas as pd
import pytest
import yaml

from socialops.crisis.analysis import negative_texts
from socialops.stats.textmining import STOPWORDS, top_words
from tests.conftest import ROOT
from tests.crisis_data import ONSET, mentions_frame


@pytest.fixture(scope="module")
def crisis_table(con):
    return con.create_table("mentions_crisis", mentions_frame(), overwrite=True)


def test_top_words_drop_personal_data_and_stop_words(crisis_table):
    texts = negative_texts(crisis_table, ONSET, ONSET + pd.Timedelta(days=2))
    words = top_words(texts, n=30)
    listed = set(words["word"])
    assert {"质量", "退款", "投诉"} <= listed
    assert not any(ch.isdigit() for w in listed for ch in w)
    assert "张三" not in listed and "13800138000" not in listed
    assert not listed & {"的", "了", "问题"}
    weighted = top_words(pd.DataFrame({"text": ["退款 太慢", "退款"], "n": [3, 2]}))
    assert weighted.set_index("word")["count"].to_dict() == {"退款": 5, "太慢": 3}
    branded = top_words(
        pd.DataFrame({"text": ["再也不买澜岸咖啡了", "澜岸咖啡退款"], "n": [1, 1]}),
        extra_stopwords={"澜岸咖啡"},
    )
    assert not any("澜岸" in w or "咖啡" in w for w in branded["word"])


def test_top_words_limits_and_short_words():
    texts = pd.DataFrame({"text": ["退款 退款 客服", None, "", "客服 a 差"], "n": [1, 5, 5, 2]})
    words = top_words(texts, n=1)
    assert words.to_dict("records") == [{"word": "客服", "count": 3}]
    assert "差" not in set(top_words(texts)["word"])  # one character: dropped by min_length
    assert set(top_words(texts, min_length=1)["word"]) >= {"差"}
    assert top_words(pd.DataFrame({"text": [], "n": []})).empty
    assert {"的", "the"} <= STOPWORDS


HOSTILE = ROOT / "tests" / "data" / "hostile" / "text-personal.yaml"


def test_no_word_comes_from_personal_data():
    data = yaml.safe_load(HOSTILE.read_text(encoding="utf-8"))
    texts = pd.DataFrame({"text": data["texts"], "n": 1})
    listed = top_words(texts, n=200)["word"].tolist()
    assert {"退款", "投诉", "客服"} <= set(listed)
    leaks = [(w, p) for w in listed for p in data["personal"] if p.lower() in w or w in p.lower()]
    assert not leaks, leaks


def test_known_names_are_cut_wherever_they_appear():
    texts = pd.DataFrame({"text": ["阿岚的日常 说 退款", "老陈说消费 退款 投诉"], "n": [2, 1]})
    words = set(top_words(texts, personal=["阿岚的日常", "老陈说消费"])["word"])
    assert words == {"退款", "投诉"}
    # a nickname seen once after an @ is cut in every text, with or without the @
    texts = pd.DataFrame({"text": ["@周末去哪儿 退款", "周末去哪儿 又来 投诉"], "n": [1, 1]})
    assert not any(w in "周末去哪儿" for w in top_words(texts)["word"])
