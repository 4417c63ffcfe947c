"""Seaborn figures used by the notebooks. Each returns the matplotlib Axes; none calls ``show()``.

seaborn and matplotlib are imported inside the functions, so that ``import innostudy`` stays light.
"""

from __future__ import annotations

import pandas as pd


def coverage_heatmap(coverage: pd.DataFrame, *, ax=None, title: str | None = None):
    """Heatmap of an entity × indicator table of fact counts (see :meth:`Dataset.coverage`).

    >>> import innostudy as ist
    >>> ax = coverage_heatmap(ist.load_dataset().coverage())
    >>> ax.get_title()
    'Facts per entity and indicator'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

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

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    counts = observations["qualifier"].value_counts().rename_axis("qualifier").reset_index()
    sns.barplot(counts, x="count", y="qualifier", ax=ax, color="C0")
    ax.set_xlabel("facts")
    ax.set_title("Qualifiers of the recorded figures")
    return ax
