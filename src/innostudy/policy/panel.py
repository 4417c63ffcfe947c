"""A validated long panel of units × years with the year each unit was first treated.

One row per unit and year; ``cohort`` is the first year of treatment, 0 or missing for units never
treated. The panel is checked once, when it is built, and every estimator takes the rows it needs
through :meth:`Panel.sample`, which applies the single missing-value rule and counts what it drops.

>>> import pandas as pd
>>> df = pd.DataFrame({"city": ["a", "a", "b", "b"], "year": [2019, 2020, 2019, 2020],
...                    "first": [2020, 2020, 0, 0], "y": [1.0, 2.0, 1.5, 1.7]})
>>> panel = Panel(df, unit="city", time="year", cohort="first")
>>> panel.balanced, panel.n_units, panel.cohorts
(True, 2, {2020: 1})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from innostudy.errors import InnostudyError
from innostudy.results import Result, Summary, axes, check_alpha, finish, labelled

NEVER = np.inf  # internal cohort of never-treated units: "treated from year +inf"
_SHOW = 10  # how many offending rows/units an error message lists


class PanelError(InnostudyError, ValueError):
    """Bad panel input; the message lists every problem found, naming the rows or units."""


def _not_whole(raw: pd.Series, values: pd.Series) -> pd.Index:
    """Index of cells present in ``raw`` that are not whole finite numbers (e.g. 'y2013', 2015.5)."""
    whole = np.isfinite(values) & (values % 1 == 0)
    return raw.index[raw.notna() & ~whole]


def _values(raw: pd.Series, rows) -> str:
    """'rows 3, 7 (values 'y2013', '2015年')': the offending rows and their distinct values."""
    shown = _listing(repr(v) for v in pd.unique(raw.loc[rows]))
    return f"rows {_listing(rows)} (values {shown}); write years as numbers, e.g. 2015"


def _distinct(years: np.ndarray) -> np.ndarray:
    """The sorted distinct values of whole numbers ``years``, in O(N) (np.unique sorts)."""
    if not len(years):
        return years
    low = years.min()
    return np.flatnonzero(np.bincount(years - low)) + low


def _per_unit(codes: np.ndarray, n: int, values: np.ndarray, ufunc, start: float) -> np.ndarray:
    """``ufunc`` (np.fmin, np.fmax...) of ``values`` per unit code, in numpy (no groupby)."""
    out = np.full(n, start)
    ufunc.at(out, codes, values)
    return out


def _listing(items) -> str:
    items = list(items)
    shown = ", ".join(map(str, items[:_SHOW]))
    return shown + (f" … (+{len(items) - _SHOW} more)" if len(items) > _SHOW else "")


class Panel(Result):
    """A long panel: one row per ``unit`` and ``time`` (whole years), optional ``cohort``.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per unit-year. It is copied, never modified or reordered.
    unit, time : str
        Column names of the unit identifier and of the (whole-number) year.
    cohort : str, optional
        Column with each unit's first year of treatment (constant within a unit); 0 or missing
        means never treated. Without it the panel has no treatment: :func:`twfe` is then a plain
        fixed-effects regression on the controls.

    A column named ``simulated`` that is True marks the data as simulated (as
    :func:`simulate_panel` does); every result computed from it then says so.

    Raises
    ------
    PanelError
        Listing at once: missing columns, non-whole years (naming rows and values: 'y2013',
        '2015年'), duplicated unit-year rows, a cohort that varies within a unit, and cohorts
        that are not a year of the panel.

    Treated units never observed before their cohort are dropped with a warning naming them
    (R's ``did`` does the same); ``dropped_units`` maps each to the reason.
    """

    def __init__(self, data: pd.DataFrame, unit: str, time: str, cohort: str | None = None):
        # a copy: deep before pandas 3; with its copy-on-write a shallow copy is one, at no cost
        self.data = data.copy(deep=int(pd.__version__.split(".")[0]) < 3)
        self.unit, self.time, self.cohort_column = unit, time, cohort
        self.dropped_units: dict = {}
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        df, unit, time, cohort = self.data, self.unit, self.time, self.cohort_column
        missing = [c for c in (unit, time, cohort) if c is not None and c not in df.columns]
        if missing:
            raise PanelError(f"column(s) not in the data: {missing}; have {list(df.columns)}")
        if df.empty:
            raise PanelError("the panel has no rows")
        problems = []
        years = pd.to_numeric(df[time], errors="coerce")
        bad_years = _not_whole(df[time], years)
        if len(bad_years):
            problems.append(
                f"{time!r} is not a whole-number year in {_values(df[time], bad_years)}"
            )
        self._codes, self._labels = pd.factorize(df[unit])  # units once, in order of appearance
        time_codes = pd.factorize(df[time])[0]
        present = (self._codes >= 0) & (time_codes >= 0)
        key = (self._codes.astype(np.int64) * (time_codes.max() + 1) + time_codes)[present]
        dup = np.zeros(len(df), bool)
        dup[present] = np.bincount(key)[key] > 1 if len(key) else False
        if dup.any():
            keys = df[[unit, time]][dup]
            pairs = keys.drop_duplicates()
            named = [f"({u!r}, {t})" for u, t in pairs.itertuples(index=False)]
            problems.append(
                f"duplicated {unit}-{time} rows {_listing(keys.index)} for {_listing(named)}"
            )
        years = years.where(np.isfinite(years) & (years % 1 == 0))
        if cohort is not None and years.notna().any():
            problems += self._cohort_problems(years)
        if problems:
            raise PanelError("invalid panel:\n- " + "\n- ".join(problems))
        if cohort is not None:
            self._drop_never_seen_untreated(years)

    def _drop_never_seen_untreated(self, years: pd.Series) -> None:
        """Drop treated units with no year observed before their cohort, as R's ``did`` does.

        Such a unit is treated in every year it is seen: it carries no before-after contrast.
        Its rows are removed, the unit named in a warning and kept in ``dropped_units``.
        """
        df, unit = self.data, self.unit
        codes, n = self._codes, len(self._labels)
        seen = codes >= 0
        first = pd.to_numeric(df[self.cohort_column]).fillna(0).to_numpy(float)
        first = np.where(first == 0, NEVER, first)
        unit_cohort = np.full(n, NEVER)
        unit_cohort[codes[seen]] = first[seen]  # constant within units (checked)
        first_seen = _per_unit(codes[seen], n, years.to_numpy(float)[seen], np.fmin, np.nan)
        late = (unit_cohort != NEVER) & (first_seen >= unit_cohort)
        no_pre = pd.Series(unit_cohort[late], index=self._labels[late])
        if len(no_pre):
            named = _listing(f"{u!r} (cohort {int(c)})" for u, c in no_pre.items())
            self.dropped_units = {u: "no year observed before its cohort" for u in no_pre.index}
            kept = ~df[unit].isin(no_pre.index)
            self.data, self._codes = df[kept], self._codes[kept.to_numpy()]
            import warnings

            warnings.warn(
                f"dropped {len(no_pre)} treated unit(s) with no year observed before the cohort "
                f"(as R's did does): {named}",
                UserWarning,
                stacklevel=4,
            )

    def _cohort_problems(self, years: pd.Series) -> list[str]:
        df, cohort = self.data, self.cohort_column
        problems = []
        values = pd.to_numeric(df[cohort], errors="coerce")
        bad = _not_whole(df[cohort], values)
        if len(bad):
            problems.append(f"{cohort!r} is not a whole-number year in {_values(df[cohort], bad)}")
            return problems
        first = values.fillna(0).where(values.fillna(0) != 0, NEVER)
        codes, n = self._codes, len(self._labels)
        seen = codes >= 0
        vals = first.to_numpy(float)[seen]
        low = np.full(n, NEVER)
        low[codes[seen]] = vals  # one of each unit's rows; any other that differs: varying
        varying = self._labels[np.bincount(codes[seen][vals != low[codes[seen]]], minlength=n) > 0]
        if len(varying):
            problems.append(f"{cohort!r} varies within unit(s) {_listing(map(repr, varying))}")
            return problems
        unit_cohort = pd.Series(low, index=self._labels)
        treated = unit_cohort[unit_cohort != NEVER]
        observed = _distinct(years.dropna().to_numpy().astype(np.int64))
        outside = treated[~np.isin(treated.to_numpy(), observed)]
        if len(outside):
            problems.append(
                f"cohort outside the panel's years {min(observed)}-{max(observed)} for unit(s) "
                + _listing(f"{u!r} ({int(c)})" for u, c in outside.items())
                + " — code units first treated after the panel ends as never treated (0)"
            )
        return problems

    #: Where each treated unit's cohort came from (entity_id, name, the name as written in a
    #: pilot list, cohort, batch, source, in_panel); set by :meth:`from_designations`.
    designations: pd.DataFrame | None = None
    #: Sentences every summary repeats (e.g. controls that may hold undated pilots).
    caveats: tuple[str, ...] = ()
    #: The file read by :meth:`from_designations` (codebook, matching report, changes).
    input = None

    @classmethod
    def from_designations(cls, outcomes, dataset=None, programme: str = "pilot", *,
                          designations=None, unit: str | None = None, time: str | None = None,
                          harmonise: bool = True, vintage: int | None = None, additive=(),
                          undated: str = "refuse") -> Panel:  # fmt: skip
        """A panel of a user's outcomes with cohorts from their pilot list and the curated data.

        Parameters
        ----------
        outcomes : DataFrame or path
            The city panel: CSV, Excel, Parquet or Stata, long or wide by year, read by
            :func:`innostudy.policy.readers.read_panel` (units in headers converted, names
            resolved by year, divisions harmonised; see ``panel.input`` for the codebook, the
            matching report and the changes).
        dataset : innostudy.Dataset, optional
            Defaults to ``innostudy.load_dataset()``.
        programme : str
            ``"pilot"``, ``"hub_city"`` or ``"demonstration_city"``.
        designations : DataFrame or path, optional
            The researcher's pilot list (columns city, programme, year; optional batch, source,
            locator, note), checked against ``data/designations.csv``; see
            :func:`~innostudy.policy.designations.read_designations`.
        unit, time : str, optional
            The city and year columns of ``outcomes`` (found by their usual names otherwise).
        harmonise, vintage, additive
            Passed to :func:`innostudy.divisions.harmonise`.
        undated : {"refuse", "exclude"}
            When fewer members are dated than the sources say the programme has and no list is
            given, "refuse" (default) raises a PanelError before anything is estimated;
            "exclude" drops the known but undated members and states in :meth:`summary` that
            the remaining controls may contain undated pilots.

        >>> import warnings
        >>> outcomes = pd.DataFrame({"entity_id": ["jiaxing", "jiaxing", "guangzhou", "guangzhou"],
        ...                          "year": [2019, 2020, 2019, 2020], "patents": [1.0, 2, 3, 5]})
        >>> pilots = pd.DataFrame({"city": ["嘉兴"], "programme": ["pilot"], "year": [2020]})
        >>> with warnings.catch_warnings(action="ignore"):  # other pilots are not in the outcomes
        ...     panel = Panel.from_designations(outcomes, designations=pilots, harmonise=False)
        >>> panel.cohorts, panel.n_never
        ({2020: 1}, 1)
        """
        from innostudy.policy.designations import panel_from_designations

        return panel_from_designations(
            cls, outcomes, dataset, programme, designations=designations, unit=unit, time=time,
            harmonise=harmonise, vintage=vintage, additive=additive, undated=undated,
        )  # fmt: skip

    # ------------------------------------------------------------------ description
    @cached_property
    def _unit_cohort(self) -> pd.Series:
        if self.cohort_column is None:
            return pd.Series(NEVER, index=pd.unique(self.data[self.unit].dropna()))
        codes, labels = self._codes, self._labels  # factorized once, by _validate
        c = pd.to_numeric(self.data[self.cohort_column]).fillna(0).to_numpy(float)
        seen = codes >= 0
        out = np.full(len(labels), NEVER)
        out[codes[seen]] = np.where(c == 0, NEVER, c)[seen]  # constant within units (checked)
        present = np.bincount(codes[seen], minlength=len(labels)) > 0  # after dropped units
        return pd.Series(out[present], index=labels[present])

    @property
    def units(self) -> list:
        """The unit identifiers, in order of first appearance."""
        return list(self._unit_cohort.index)

    @property
    def n_units(self) -> int:
        return len(self._unit_cohort)

    @property
    def periods(self) -> list[int]:
        """The sorted years of the panel."""
        return sorted(pd.to_numeric(self.data[self.time]).dropna().astype(int).unique())

    @property
    def cohorts(self) -> dict[int, int]:
        """Number of units per first-treatment year (never-treated units left out)."""
        treated = self._unit_cohort[self._unit_cohort != NEVER]
        return {int(c): int(n) for c, n in treated.value_counts().sort_index().items()}

    @property
    def treated_units(self) -> dict[int, list]:
        """The treated units by first-treatment year, each list sorted.

        >>> df = pd.DataFrame({"u": list("bac") * 2, "t": [2019] * 3 + [2020] * 3,
        ...                    "g": [2020, 2020, 0] * 2})
        >>> Panel(df, "u", "t", "g").treated_units
        {2020: ['a', 'b']}
        """
        treated = self._unit_cohort[self._unit_cohort != NEVER]
        return {int(c): sorted(units.index) for c, units in treated.groupby(treated)}

    @property
    def n_never(self) -> int:
        """Number of never-treated units."""
        return int((self._unit_cohort == NEVER).sum())

    @property
    def balanced(self) -> bool:
        """True when every unit is observed in every year."""
        keys = self.data[[self.unit, self.time]].dropna()
        return len(keys) == self.n_units * len(self.periods)

    @property
    def simulated(self) -> bool:
        """True when the data carry a ``simulated`` column that is True."""
        return "simulated" in self.data.columns and bool(self.data["simulated"].any())

    def _headline(self) -> str:
        years = self.periods
        return (f"{self.n_units:,} units × {len(years)} years ({years[0]}-{years[-1]}), "
                f"{len(self.cohorts)} cohorts, {self.n_never:,} never treated")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per unit: its cohort (NaN: never treated), years observed, first and last
        (``alpha`` is checked and otherwise unused: a panel has no intervals)."""
        check_alpha(alpha)
        years = pd.to_numeric(self.data[self.time]).groupby(self.data[self.unit], sort=False)
        span = years.agg(n_years="count", first_year="min", last_year="max")
        table = pd.DataFrame({
            "unit": self._unit_cohort.index,
            "cohort": self._unit_cohort.replace(NEVER, np.nan).to_numpy(),
        }).join(span, on="unit")  # fmt: skip
        return labelled(table, self.simulated)

    def summary(self, alpha: float = 0.05) -> Summary:
        check_alpha(alpha)
        years = self.periods
        shape = "balanced" if self.balanced else f"unbalanced ({len(self.data):,} rows)"
        header = [
            ("units × years", f"{self.n_units:,} × {len(years)} ({years[0]}-{years[-1]}), {shape}"),
            ("cohorts", ", ".join(f"{g}: {n}" for g, n in self.cohorts.items()) or "none"),
            ("never treated", self.n_never),
        ]  # fmt: skip
        notes = []
        if self.dropped_units:
            notes.append(f"dropped (no year before the cohort): {_listing(self.dropped_units)}")
        if self.designations is not None:
            used = self.designations[self.designations["in_panel"]]
            for cohort, group in used.groupby("cohort"):
                notes.append(
                    f"treated from {cohort}: {len(group)} ({_listing(group['entity_id'])})"
                )
            sources = used["source"].str.replace(r" line \d+", "", regex=True).value_counts()
            notes.append(
                "designations from: " + "; ".join(f"{s} ({n})" for s, n in sources.items())
            )
        if self.input is not None:
            notes.append(f"read from {self.input.name}; {self.input.harmonised.splitlines()[0]}")
        notes += [f"caution: {c}" for c in self.caveats]
        cohorts = pd.DataFrame(
            {"cohort": list(self.cohorts) + ["never"],
             "units": list(self.cohorts.values()) + [self.n_never]}
        )  # fmt: skip
        return Summary("Panel", header, [("units per cohort", cohorts)], notes,
                       simulated=self.simulated)  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """Treatment roll-out: one row per unit (sorted by cohort), shaded from its cohort on."""
        years = np.array(self.periods)
        cohort = self._unit_cohort.sort_values(kind="stable")
        treated = (years[None, :] >= cohort.to_numpy()[:, None]).astype(float)
        ax = axes(ax)
        ax.imshow(treated, aspect="auto", cmap="Greys", interpolation="nearest", vmin=0, vmax=1.5,
                  extent=(years[0] - 0.5, years[-1] + 0.5, len(cohort), 0))  # fmt: skip
        ax.set(xlabel=self.time, ylabel=f"{self.unit} (sorted by cohort)")
        title = "Treatment roll-out (shaded: treated)" if title is None else title
        return finish(ax, title, self.simulated)

    # ------------------------------------------------------------------ estimation sample
    def sample(self, y: str | None, columns=(), cluster: str | None = None) -> Sample:
        """The rows an estimator uses: the one missing-value rule, applied and counted.

        A row is used only when its unit, year, outcome ``y``, every column in ``columns`` and the
        ``cluster`` column are all present; the rows dropped are counted per column in
        ``Sample.dropped``. Infinite values are refused, naming the rows, for every estimator.
        Units whose outcome never varies over their used rows (including units left with a
        single row) carry no information once unit effects are removed and are reported as an
        error, naming them.
        """
        used = [c for c in dict.fromkeys([self.unit, self.time, y, *columns, cluster]) if c]
        absent = [c for c in used if c not in self.data.columns]
        if absent:
            raise PanelError(f"column(s) not in the panel: {absent}")
        numeric = [y, *columns] if y else list(columns)
        not_numeric = [c for c in numeric if not pd.api.types.is_numeric_dtype(self.data[c])]
        if not_numeric:
            raise PanelError(f"column(s) must be numeric: {not_numeric}")
        frame = self.data[used]
        infinite = {
            c: list(frame.index[np.isinf(frame[c].to_numpy(dtype=float, na_value=np.nan))])
            for c in numeric
        }
        infinite = {c: rows for c, rows in infinite.items() if rows}
        if infinite:
            raise PanelError(
                "non-finite values (inf) in "
                + "; ".join(f"{c!r} rows {_listing(rows)}" for c, rows in infinite.items())
                + " — fix or blank them (blank cells are dropped by the missing-value rule)"
            )
        missing = frame.isna()
        keep = ~missing.any(axis=1)
        dropped = {c: int(n) for c, n in missing.sum().items() if n}
        sample = Sample(self, frame[keep], int((~keep).sum()), dropped,
                        self._codes[keep.to_numpy()])  # fmt: skip
        if y is not None:  # in numpy: a unit's y is constant when its min equals its max
            values, codes = sample.column(y), sample.unit_codes
            starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])  # rows sorted by unit
            low = np.minimum.reduceat(values, starts) if len(values) else values
            high = np.maximum.reduceat(values, starts) if len(values) else values
            sizes = np.diff(np.r_[starts, len(values)])
            flat = np.flatnonzero(low == high)
            if len(flat):
                raise PanelError(
                    f"unit(s) whose {y!r} never varies over their used rows: "
                    + _listing(
                        f"{sample.unit_labels[u]!r} "
                        f"({'1 row' if sizes[u] == 1 else f'{sizes[u]} rows, constant'})"
                        for u in flat
                    )
                    + " — unit effects absorb them; remove them from the data if this is genuine"
                )
        return sample


@dataclass
class Sample:
    """The estimation rows of a panel, sorted by unit and year, with integer codes."""

    panel: Panel
    rows: pd.DataFrame
    n_dropped: int
    dropped: dict = field(default_factory=dict)
    codes: np.ndarray | None = None  # the rows' codes in the panel's unit labels

    def __post_init__(self):
        labels = self.panel._labels
        if self.codes is None:
            self.codes, labels = pd.factorize(self.rows[self.panel.unit])
        used = np.flatnonzero(np.bincount(self.codes, minlength=1))
        rank, self.unit_labels = pd.factorize(labels[used], sort=True)  # units in sorted order
        lookup = np.zeros(len(labels), dtype=np.int64)
        lookup[used] = rank
        codes = lookup[self.codes]
        years = pd.to_numeric(self.rows[self.panel.time]).to_numpy(dtype=float).astype(int)
        key = codes * (np.ptp(years) + 1) + (years - years.min()) if len(years) else codes
        if not (key[1:] > key[:-1]).all():  # rows not yet sorted by unit, then year
            order = np.argsort(key, kind="stable")
            self.rows, codes, years = self.rows.iloc[order], codes[order], years[order]
        self.unit_codes, self.years = codes, years
        self.periods = _distinct(self.years)
        self.cohort = self.panel._unit_cohort.reindex(self.unit_labels).to_numpy(dtype=float)
        self.row_cohort = self.cohort[self.unit_codes]
        self.treated = (self.years >= self.row_cohort).astype(float)

    @property
    def nobs(self) -> int:
        return len(self.rows)

    @property
    def n_units(self) -> int:
        return len(self.unit_labels)

    @property
    def balanced(self) -> bool:
        return self.nobs == self.n_units * len(self.periods)

    def column(self, name: str) -> np.ndarray:
        return self.rows[name].to_numpy(dtype=float)

    def wide(self, name: str) -> np.ndarray:
        """Units × years matrix of a column, NaN where a unit lacks a year."""
        out = np.full((self.n_units, len(self.periods)), np.nan)
        out[self.unit_codes, np.searchsorted(self.periods, self.years)] = self.column(name)
        return out

    def note(self) -> str:
        """One line on the sample: size, balance and the rows the missing-value rule dropped."""
        shape = "balanced" if self.balanced else "unbalanced"
        text = f"{self.nobs} rows, {self.n_units} units, {shape}"
        if self.n_dropped:
            text += f"; {self.n_dropped} rows dropped for missing values {self.dropped}"
        return text
