"""The chart theme renders Chinese with the bundled CJK font, without touching the user's configuration."""

from __future__ import annotations

import warnings

import matplotlib
import matplotlib.pyplot as plt
from matplotlib import font_manager

from socialops.report import charts
from socialops.report.i18n import Translator


def test_cjk_font_is_the_bundled_noto_file():
    path = charts.cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert charts.register_cjk_font() == "Noto Sans CJK SC"


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    charts.apply_theme()
    t = Translator("zh")
    labels = [t(f"platform_{p}") for p in ("xiaohongshu", "douyin", "wechat", "weibo", "bilibili")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig, ax = plt.subplots()
        ax.bar(labels, [5, 4, 3, 2, 1])
        ax.set_title("平台曝光量与互动率 −12%")
        ax.set_xlabel(t("header_data_range"))
        fig.savefig(tmp_path / "zh.png")
    plt.close(fig)
    used = {font_manager.FontProperties(family=matplotlib.rcParams["font.sans-serif"][0]).get_name()}
    assert used == {"Noto Sans CJK SC"}


def test_theme_writes_no_matplotlib_config(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path))
    charts.apply_theme()
    assert not any(p.name == "matplotlibrc" for p in tmp_path.rglob("*"))


def test_unknown_platform_gets_neutral_colour():
    assert charts.platform_color("some_new_app") == charts.MUTED
    assert charts.platform_palette(["wechat"]) == {"wechat": charts.PLATFORM_COLORS["wechat"]}
