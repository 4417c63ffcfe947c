"""Seaborn figures used by the notebooks, and the plotting style that lets Chinese text render.

Each figure function returns the matplotlib Axes and applies :func:`use_style`; none calls ``show()``.
seaborn and matplotlib are imported inside the functions, so that ``import innostudy`` stays light.

Chinese figure text (a title ``发明专利授权数``, a city ``莱芜市``) needs a font with CJK glyphs;
matplotlib's DejaVu Sans has none and draws empty boxes with a "Glyph ... missing" warning per
character. :func:`use_style` registers **Noto Sans SC** (Regular, SIL Open Font License 1.1) from the
PyPI package ``pylopdf-fonts-zh-cn`` (a runtime dependency) with matplotlib's font manager and puts it
after the default sans-serif family, so Latin text keeps DejaVu Sans and every character DejaVu lacks
falls back to Noto Sans SC. Every notebook calls it in its imports cell (JupyterLab and the runner
alike); call it yourself before plotting Chinese text with plain matplotlib.

Why that package (inspected with ``pip download``, November 2026): it ships only the two Noto SC
faces, the Simplified-Chinese subset of Noto CJK (8.3 MB ``NotoSansSC-Regular.otf``, 30,890 glyphs,
17 MB wheel), with the OFL text and no dependencies, and has a small API (``sans_path()``).
Considered: ``mplfonts`` 0.0.11 (85 MB wheel: five CJK faces and two dependencies we do not need),
``noto-cjk-sans-otc`` 0.0.1 and ``manimgx-fonts-cjk`` (16-20 MB; a Noto Sans CJK collection whose
default face is the Japanese one, so some Han characters take Japanese forms),
``paperang-p2-fonts-cjk`` 0.1.0 (WenQuanYi Micro Hei, 2.3 MB, but labelled MIT, which is not the
font's licence, and tied to a printer library).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CJK_FAMILY = "Noto Sans SC"


def cjk_font_path() -> Path:
    """The Noto Sans SC file that ``pylopdf-fonts-zh-cn`` installs.

    >>> cjk_font_path().name
    'NotoSansSC-Regular.otf'
    """
    import pylopdf_fonts_zh_cn

    return pylopdf_fonts_zh_cn.sans_path()


def use_style() -> None:
    """Register Noto Sans SC with matplotlib and use it for every character the default font lacks.

    Sets ``font.family`` to ``["sans-serif", "Noto Sans SC"]``: matplotlib (3.6 and later) draws
    each character with the first family that has it. Idempotent and cheap after the first call.

    >>> import matplotlib
    >>> use_style()
    >>> matplotlib.rcParams["font.family"]
    ['sans-serif', 'Noto Sans SC']
    """
    import matplotlib
    from matplotlib import font_manager

    path = str(cjk_font_path())
    if not any(font.fname == path for font in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    matplotlib.rcParams["font.family"] = ["sans-serif", CJK_FAMILY]


def coverage_heatmap(coverage: pd.DataFrame, *, ax=None, title: str | None = None):
    """Heatmap of an entity × indicator table of fact counts (see :meth:`Dataset.coverage`).

    >>> import innostudy as ist
    >>> ax = coverage_heatmap(ist.load_dataset().coverage())
    >>> ax.get_title()
    'Facts per entity and indicator'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    use_style()
    if ax is None:
        width = max(6.0, 0.28 * coverage.shape[1] + 3)
        height = max(3.0, 0.35 * coverage.shape[0] + 1.5)
        _, ax = plt.subplots(figsize=(width, height))
    sns.heatmap(
        coverage.where(coverage > 0),
        ax=ax,
        cmap="Blues",
        annot=True,
        fmt=".0f",
        cbar=False,
        linewidths=0.5,
        linecolor="0.9",
    )
    ax.set_xlabel("indicator")
    ax.set_ylabel("entity")
    ax.set_title(title or "Facts per entity and indicator")
    return ax


def qualifier_counts(observations: pd.DataFrame, *, ax=None):
    """Bar chart of how many facts carry each qualifier (exact, more_than, about, ...)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    use_style()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    counts = observations["qualifier"].value_counts().rename_axis("qualifier").reset_index()
    sns.barplot(counts, x="count", y="qualifier", ax=ax, color="C0")
    ax.set_xlabel("facts")
    ax.set_title("Qualifiers of the recorded figures")
    return ax
