"""The chart theme renders Chinese with the bundled CJK font, draws data text as written (never as math) and
writes no configuration of the user's."""

from __future__ import annotations

import warnings

import matplotlib
import matplotlib.pyplot as plt
import pytest
import yaml
from matplotlib import font_manager

from socialops.report import charts
from socialops.report.i18n import Translator
from tests.conftest import ROOT


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


HOSTILE_NAMES = yaml.safe_load((ROOT / "tests" / "data" / "hostile" / "text-names.yaml").read_text(encoding="utf-8"))[
    "names"
]


def test_names_from_the_data_are_drawn_as_written_never_as_math(tmp_path):
    charts.apply_theme()
    fig, ax = plt.subplots()
    ax.bar(HOSTILE_NAMES, range(1, len(HOSTILE_NAMES) + 1))
    ax.set_title(r"$\evilmacro{x}$ vs $$x^2$$")
    ax.legend([r"$\alpha$ variant"])
    fig.savefig(tmp_path / "names.png")  # mathtext would stop at \evilmacro
    fig.canvas.draw()
    assert [label.get_text() for label in ax.get_xticklabels()] == HOSTILE_NAMES
    texts = fig.findobj(matplotlib.text.Text)
    assert r"$\evilmacro{x}$ vs $$x^2$$" in {text.get_text() for text in texts}
    assert not any(text.get_parse_math() for text in texts)
    plt.close(fig)


def test_log_axes_label_their_ticks_as_plain_numbers(tmp_path):
    charts.apply_theme()
    fig, (log, symlog) = plt.subplots(1, 2)
    log.plot([1e-4, 0.5, 2000])
    log.set_yscale("log")
    symlog.plot([0, 500])
    symlog.set_yscale("symlog", linthresh=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing glyph, no deprecation of the scales' signature
        fig.savefig(tmp_path / "log.png")
    shown = [t.get_text() for t in log.get_yticklabels()]
    assert {"0.0001", "0.01", "1", "100", "1,000"} <= set(shown)
    assert not any("$" in t for t in shown + [t.get_text() for t in symlog.get_yticklabels()])
    assert {"10", "100"} <= {t.get_text() for t in symlog.get_yticklabels()}
    plt.close(fig)


@pytest.mark.parametrize(("x", "text"), [(1000.0, "1,000"), (1.0, "1"), (0.001, "0.001"), (2e-7, "0.0000002"),
                                         (-100.0, "-100"), (0.3, "0.3")])
def test_plain_number(x, text):
    assert charts.plain_number(x) == text
