"""The plotting style: Chinese figure text renders with a CJK font the project installs itself."""

import warnings

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from innostudy import plots

TITLE = (
    "发明专利授权数（件）: 莱芜市 2015年"  # an outcome, a city, a year as a researcher writes them
)


@pytest.fixture
def default_style():
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        yield
    plt.close("all")


def glyph_warnings(fig, path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(path, format="png")
        fig.savefig(path.with_suffix(".svg"), format="svg")  # report.save_figure writes both
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_without_the_style_chinese_text_is_missing_glyphs(default_style, tmp_path):
    """The control: proves the capture below would see the warning it looks for."""
    fig, ax = plt.subplots()
    ax.set_title(TITLE)
    assert glyph_warnings(fig, tmp_path / "plain.png")


def test_with_the_style_a_chinese_title_renders_without_glyph_warnings(default_style, tmp_path):
    plots.use_style()
    fig, ax = plt.subplots()
    ax.set_title(TITLE)
    ax.set_xlabel("年份")
    assert glyph_warnings(fig, tmp_path / "styled.png") == []
    used = font_manager.fontManager._find_fonts_by_props(ax.title.get_fontproperties())
    cjk = [path for path in map(str, used) if ord("专") in FT2Font(path).get_charmap()]
    assert cjk == [str(plots.cjk_font_path())]
    charmap = FT2Font(cjk[0]).get_charmap()
    assert all(ord(char) in charmap for char in TITLE if not char.isascii())


def test_use_style_is_idempotent(default_style):
    plots.use_style()
    plots.use_style()
    path = str(plots.cjk_font_path())
    assert sum(font.fname == path for font in font_manager.fontManager.ttflist) == 1


def test_the_package_helpers_apply_the_style(default_style, tmp_path):
    coverage = pd.DataFrame({"发明专利授权数": [1, 0]}, index=["莱芜市", "济南市"])
    ax = plots.coverage_heatmap(coverage, title="每个城市的事实数")
    assert glyph_warnings(ax.figure, tmp_path / "heatmap.png") == []
