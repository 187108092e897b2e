"""The most frequent words of a set of mentions (Chinese segmented with jieba), personal data kept out.

The engine groups identical texts and returns them with their counts (an aggregate, so duplicated reposts cost
nothing); segmentation happens on the distinct texts only.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

import jieba
import pandas as pd

jieba.setLogLevel(logging.WARNING)

# Personal data and noise removed before segmentation: handles, links, e-mail addresses, digit runs (phone numbers,
# order ids) and anything already masked with asterisks or bullets.
_SCRUB = re.compile(
    r"@[\w\-\u4e00-\u9fff]+|https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+|\d[\d\s\-]{3,}\d|\S*[*•●]+\S*"
)
_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9\-]*$")

#: Common Chinese function words, pronouns and fillers (and a few English ones) that carry no topic. jieba ships no
#: general stop-word list, so a compact one is kept here; extend it through ``extra_stopwords``.
_STOPWORD_TEXT = """
    的 了 是 在 我 你 他 她 它 们 我们 你们 他们 她们 这 那 这个 那个 这些 那些 就 都 也 还 又 很 太 更 最 和 与 及 或
    而 但 但是 并 并且 如果 因为 所以 然后 还是 已经 没有 没 有 不 不是 一个 一下 一些 什么 怎么 怎么样 为什么 哪 哪里
    吗 呢 吧 啊 呀 哦 嗯 哈 哈哈 哈哈哈 啦 嘛 么 之 其 被 把 给 让 对 向 从 到 于 以 为 等 着 过 得 地 自己 大家 真的
    真是 就是 还有 可以 可能 觉得 感觉 知道 现在 今天 昨天 明天 时候 一直 一样 这样 那样 这么 那么 所有 其实 而且 只是
    不过 只有 还要 应该 需要 一定 非常 特别 比较 有点 一点 东西 事情 问题 各位 朋友 姐妹 家人 分享 一次 两次
    the a an and or but of to in on at for with is are was were be been it this that i you we they my our your
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())


def top_words(
    texts: pd.DataFrame,
    n: int = 20,
    extra_stopwords: frozenset[str] | set[str] = frozenset(),
    min_length: int = 2,
) -> pd.DataFrame:
    """Count words over distinct texts weighted by how often each text occurred.

    Parameters
    ----------
    texts : pandas.DataFrame
        Columns ``text`` and ``n`` (occurrences of that text), e.g. from :func:`socialops.crisis.analysis.negative_texts`.
    n : int
        Number of words returned.
    extra_stopwords : set of str
        Words to drop besides :data:`STOPWORDS`, e.g. the brand's own name; they are cut out of the text before
        segmentation, so a name the dictionary does not know cannot leave fragments behind.
    min_length : int
        Shortest word kept (2 drops single characters, mostly particles in Chinese).

    Returns
    -------
    pandas.DataFrame
        Columns ``word`` and ``count``, most frequent first (ties by word), at most ``n`` rows.
    """
    stop = STOPWORDS | {w.lower() for w in extra_stopwords}
    # Longest first, so that a brand name goes before any shorter word inside it.
    cut = sorted((w for w in extra_stopwords if w), key=len, reverse=True)
    counter: Counter[str] = Counter()
    for text, weight in zip(texts["text"], texts["n"], strict=True):
        if not isinstance(text, str) or not text:
            continue
        clean = _SCRUB.sub(" ", text)
        for word in cut:
            clean = clean.replace(word, " ")
        for token in jieba.lcut(clean):
            word = token.strip().lower()
            if len(word) >= min_length and _WORDLIKE.match(word) and word not in stop:
                counter[word] += int(weight)
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:n]
    return pd.DataFrame(ranked, columns=["word", "count"])
