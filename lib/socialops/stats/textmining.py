"""The most frequent words of a set of mentions (Chinese segmented with jieba), personal data kept out.

The engine groups identical texts and returns them with their counts (an aggregate, so duplicated reposts cost
nothing); segmentation happens on the distinct texts only.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable

import jieba
import pandas as pd

jieba.setLogLevel(logging.WARNING)

# Personal data and noise removed before segmentation, in this order at each position: links, e-mail addresses,
# @handles, WeChat's internal ids, contact handles after their keyword (微信/VX/wx/QQ ..., with a colon any handle,
# without one a handle holding a digit, "_" or "-"), Latin runs joined by "_" (user names), digit runs with
# separators and an optional +, a closing X (phone numbers with +86, 18-digit id numbers, order ids), and anything
# already masked with asterisks or bullets.
_CONTACT_KEY = r"(?<![A-Za-z])(?:微信号?|威信|薇信|[vVwW][xX]|weixin|wechat|WeChat|[qQ]{2}号?|扣扣)\s*(?:号|id|ID)?\s*"
_SCRUB = re.compile(
    "|".join([
        r"https?://\S+|www\.\S+",
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
        r"[@＠][\w\-]{1,30}",
        r"wxid_[\w-]+",
        rf"{_CONTACT_KEY}[:：]\s*[A-Za-z0-9][-_A-Za-z0-9]{{4,19}}",
        rf"{_CONTACT_KEY}(?=[A-Za-z]*[\d_-])[A-Za-z][-_A-Za-z0-9]{{4,19}}",
        r"[A-Za-z0-9-]*_[A-Za-z0-9_-]*",
        r"\+?\d[\d\s\-]{3,}\d[Xx]?",
        r"\S*[*•●]+\S*",
    ])
)
_HANDLE = re.compile(r"[@＠]([\w\-]{2,30})")
# A word of letters (Chinese or Latin) and hyphens; a word holding a digit is an id, a code or a number, not a topic.
_WORDLIKE = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z\-]*$")

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
    personal: Iterable[str] = (),
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
    personal : iterable of str
        Names known to be personal (nicknames, authors), cut out of the texts wherever they appear. Every name
        written after an ``@`` in any of the texts is cut as well, also where it appears without the ``@``.

    Returns
    -------
    pandas.DataFrame
        Columns ``word`` and ``count``, most frequent first (ties by word), at most ``n`` rows. No word comes from
        personal data: links, e-mail addresses, @handles and the names they give, WeChat ids (``wxid_...``, or
        after 微信/VX/vx/wx/WX/QQ with or without a colon), phone numbers (with or without +86 and separators),
        id card numbers and words holding a digit are removed before counting.
    """
    stop = STOPWORDS | {w.lower() for w in extra_stopwords}
    names = set(personal) | {name for t in texts["text"] if isinstance(t, str) for name in _HANDLE.findall(t)}
    # Longest first, so that a brand name or a nickname goes before any shorter word inside it.
    cut = sorted((w for w in set(extra_stopwords) | names if w), key=len, reverse=True)
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
