"""The chart look of every report: a seaborn theme, the CJK font and the platform colours."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib as mpl
import numpy as np
import seaborn as sns
from matplotlib import font_manager, ticker
from matplotlib import scale as mscale

#: Noto Sans CJK SC (SIL Open Font Licence), as shipped by the ``mplfonts`` package.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

PLATFORM_COLORS = {
    "xiaohongshu": "#ff2442",
    "douyin": "#161823",
    "wechat": "#07c160",
    "weibo": "#e6162d",
    "bilibili": "#00a1d6",
    "kuaishou": "#ff7a00",
    "zhihu": "#0066ff",
    "tmall": "#ff0036",
    "jd": "#e1251b",
}
# Weibo's and Xiaohongshu's brand reds are too close to tell apart in one chart.
PLATFORM_COLORS["weibo"] = "#f5a623"

ACCENT = "#2b6cb0"
MUTED = "#a0aec0"
ALERT = "#c53030"


def cjk_font_path() -> Path:
    """Return the path of the bundled Noto Sans CJK SC font file.

    Raises
    ------
    FileNotFoundError
        If the ``mplfonts`` package does not ship the file.
    """
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / CJK_FONT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{CJK_FONT_FILE} not found in the mplfonts package ({path})")
    return path


@cache
def register_cjk_font() -> str:
    """Register the CJK font file alone with matplotlib's font manager and return its family name.

    Only this process's font list changes; no matplotlib configuration file is written.
    """
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def plain_number(x: float) -> str:
    """A log-axis tick as a plain number: ``1,000``, ``1``, ``0.001`` (no power of ten, no mathtext).

    Parameters
    ----------
    x : float
        The tick's value.

    Returns
    -------
    str
        Whole numbers with thousands separators, fractions in positional notation without trailing zeros.
    """
    if abs(x) >= 1 and float(x).is_integer():
        return f"{x:,.0f}"
    return np.format_float_positional(x, precision=12, trim="-")


class PlainLogFormatter(ticker.LogFormatterSciNotation):
    """Log-axis ticks as plain numbers (the same ticks labelled as matplotlib's, none drawn as math)."""

    def __call__(self, x, pos=None) -> str:
        """The tick label of `x`, or "" where matplotlib leaves the tick unlabelled."""
        return plain_number(x) if super().__call__(x, pos) else ""


class _PlainLogScale(mscale.LogScale):
    """The "log" scale with plain-text tick labels."""

    def __init__(self, *args, **kwargs) -> None:  # no named axis argument: the signature matplotlib 3.11 wants
        super().__init__(*args, **kwargs)

    def set_default_locators_and_formatters(self, axis) -> None:
        """Matplotlib's locators, with :class:`PlainLogFormatter` labels."""
        super().set_default_locators_and_formatters(axis)
        axis.set_major_formatter(PlainLogFormatter(self.base))
        axis.set_minor_formatter(PlainLogFormatter(self.base, labelOnlyBase=self.subs is not None))


class _PlainSymLogScale(mscale.SymmetricalLogScale):
    """The "symlog" scale with plain-text tick labels."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)

    def set_default_locators_and_formatters(self, axis) -> None:
        """Matplotlib's locators, with :class:`PlainLogFormatter` labels."""
        super().set_default_locators_and_formatters(axis)
        axis.set_major_formatter(PlainLogFormatter(self.base))


def apply_theme() -> None:
    r"""Apply the report theme: seaborn's clean white style with the CJK font first in the family list.

    Text is never read as mathtext or LaTeX: a label from the data such as ``$\evilmacro{x}$`` is drawn as written
    instead of failing in matplotlib's math parser.
    """
    family = register_cjk_font()
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        font=family,
        rc={
            "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,  # the CJK font lacks U+2212; use a hyphen-minus
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "normal",  # the bundled CJK font has one weight; bold would fall back
            "axes.titlesize": 14,
            "axes.titlelocation": "left",
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "figure.figsize": (8, 4.2),
            "text.parse_math": False,  # platform, variant and experiment names come from the data
            "text.usetex": False,
        },
    )
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=sns.color_palette("deep"))
    # matplotlib writes log-axis ticks as mathtext, which the theme no longer parses: plain-text ones instead
    mscale.register_scale(_PlainLogScale)
    mscale.register_scale(_PlainSymLogScale)


def platform_color(platform: str) -> str:
    """Return a platform's colour (a neutral grey for platforms outside the known list)."""
    return PLATFORM_COLORS.get(platform, MUTED)


def platform_palette(platforms) -> dict[str, str]:
    """Return ``{platform: colour}`` for the given platforms, for seaborn's ``palette=``."""
    return {p: platform_color(p) for p in platforms}
