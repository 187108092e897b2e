"""The course site's MkDocs hook: heading anchors of notebook pages follow the page's table of contents."""

from __future__ import annotations

import re
from types import SimpleNamespace

from socialops.course.hooks import heading_anchors, on_page_content


def test_heading_anchors_follow_the_table_of_contents():
    toc = [SimpleNamespace(title="用户生命周期", id="_1", children=[
        SimpleNamespace(title="练习", id="_2", children=[]), SimpleNamespace(title="练习", id="_3", children=[])])]
    html = ('<h1 id="">用户生命周期<a class="anchor-link" href="#">¶</a></h1><p>x</p>'
            '<h2 id="">练习<a class="anchor-link" href="#">¶</a></h2><h2 id="">练习</h2><h3 id="other">其他</h3>')
    fixed = heading_anchors(html, toc)
    assert re.findall(r'id="([^"]*)"', fixed) == ["_1", "_2", "_3", "other"]
    assert 'href="#_1"' in fixed and 'href="#_2"' in fixed


def test_only_notebook_pages_are_changed():
    toc = [SimpleNamespace(title="练习", id="_1", children=[])]
    html = '<h2 id="">练习</h2>'

    def page(uri):
        return SimpleNamespace(file=SimpleNamespace(src_uri=uri), toc=toc)

    assert on_page_content(html, page("zh/guide.md"), config={}, files=[]) == html
    assert on_page_content(html, page("zh/02_lifecycle.ipynb"), config={}, files=[]) == '<h2 id="_1">练习</h2>'


def test_a_heading_without_a_toc_entry_keeps_its_id():
    assert heading_anchors('<h2 id="x">Other</h2>', []) == '<h2 id="x">Other</h2>'
