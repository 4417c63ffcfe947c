"""The results protocol (innostudy.results, docs/results.md) over every public result class, and
the root exception over every error class."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import innostudy
from innostudy.errors import InnostudyError
from innostudy.results import RESULT_CLASSES, VOCABULARY, Result, Summary, format_value

matplotlib.use("Agg")

MODULES = [
    importlib.import_module(m.name)
    for m in pkgutil.walk_packages(innostudy.__path__, "innostudy.")
    if not m.name.split(".")[-1].startswith("__")
]


def _defined_here(predicate):
    """Classes defined in innostudy's modules (not imported into them) that satisfy predicate."""
    return sorted(
        {
            cls
            for module in MODULES
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == module.__name__ and predicate(cls)
        },
        key=lambda c: f"{c.__module__}.{c.__qualname__}",
    )


ERRORS = _defined_here(lambda c: issubclass(c, Exception) and not c.__name__.startswith("_"))


def test_there_are_errors_to_check():
    names = {c.__name__ for c in ERRORS}
    assert {"ValidationError", "ParseError", "PanelError", "CompositeInputError"} <= names


@pytest.mark.parametrize("error", ERRORS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_error_is_an_innostudy_error(error):
    assert issubclass(error, InnostudyError)
    assert innostudy.InnostudyError is InnostudyError


def test_errors_keep_their_standard_bases():
    from innostudy.clean import ParseError
    from innostudy.report import InputFileNotFoundError

    assert issubclass(ParseError, ValueError)
    assert issubclass(InputFileNotFoundError, FileNotFoundError)
    from innostudy.clean import parse_quantity

    with pytest.raises(InnostudyError, match="expected a figure"):
        parse_quantity("abc")


def test_summary_renders_the_same_numbers_three_ways():
    table = pd.DataFrame({"term": ["a_b", "c"], "estimate": [1.23456, np.nan], "n": [3300, 7]})
    s = Summary("Title", [("obs", 3300), ("note", "x & y")], [("caption", table)],
                ["a note"], simulated=True)  # fmt: skip
    assert isinstance(s, str) and str(s) == s.as_text() and s._repr_html_() == s.as_html()
    for number in ("1.2346", "3300", "—"):
        assert number in s.as_text() and number in s.as_html() and number in s.as_latex()
    assert "a\\_b" in s.as_latex() and "x \\& y" in s.as_latex() and "x &amp; y" in s.as_html()
    assert "SIMULATED DATA" in s.as_text().splitlines()[0]
    assert s.as_html().count("<table") == 2 and "<caption>caption</caption>" in s.as_html()


@pytest.mark.parametrize(
    ("value", "text"),
    [(1, "1"), (2020, "2020"), (1234567, "1,234,567"), (0.5, "0.5000"), (-2.0, "-2.0000"),
     (1e-9, "1.000e-09"), (np.float32(0.25), "0.2500"), (np.int64(12), "12"), (pd.NA, "—"), (True, "True")],
)  # fmt: skip
def test_format_value(value, text):
    assert format_value(value) == text


# -------------------------------------------------------------- every public result class
PENDING: set[str] = set()  # classes offering results methods outside the protocol: none


def _qualname(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _simulated_city_panel() -> pd.DataFrame:
    """A simulated city panel shaped like a user's: Chinese headers with units, years as 2016年,
    names with and without 市, Laiwu merged into Jinan in 2019."""
    rng = np.random.default_rng(3)
    rows = [
        (name, f"{year}年", round(rng.uniform(500, 9000), 1))
        for year in range(2016, 2021)
        for name in ["济南市", "合肥", "芜湖市"] + ["莱芜市"] * (year < 2019)
    ]
    return pd.DataFrame(rows, columns=["城市", "年份", "地区生产总值(亿元)"]).assign(simulated=True)


def _builders():
    """One small instance of every public result class, keyed by class name."""
    from innostudy import divisions, entities
    from innostudy.policy import (
        Panel,
        att_gt,
        bacon,
        checklist,
        event_study,
        heterogeneity,
        mechanisms,
        placebo,
        psm_did,
        simulate_panel,
        twfe,
    )  # fmt: skip
    from innostudy.policy.designations import read_designations
    from innostudy.policy.honest import honest
    from innostudy.policy.imputation import imputation
    from innostudy.policy.readers import read_panel
    from innostudy.policy.sunab import sun_abraham
    from innostudy.profile import compare, entity_profile
    from innostudy.run import Run, RunResult, RunSummary

    ds = innostudy.load_dataset()
    cohorts = {2015: 12, 2017: 12, 2019: 12}
    panel = Panel(simulate_panel(n_units=60, years=range(2012, 2021), cohorts=cohorts, seed=2),
                  "unit", "year", "cohort")  # fmt: skip
    cs = att_gt(panel, "y")
    grouped = Panel(panel.data.assign(half=panel.data["unit"].str[-1].isin(list("01234"))),
                    "unit", "year", "cohort")  # fmt: skip
    city = _simulated_city_panel()
    city["year"] = city["年份"].str[:4].astype(int)
    city["entity_id"] = entities.resolve_many(city["城市"], year=city["year"])["entity_id"]
    pilots = pd.DataFrame({"city": ["嘉兴市", "Wuhu"], "programme": "pilot",
                           "year": ["2020年", 2021]})  # fmt: skip
    ran = [
        RunResult(Run("city_profile", Path("02_city_profile.ipynb"), {"entity": e}),
                  Path("reports") / e, status, "2026-11-30T19:00:00", "2026-11-30T19:00:09", 9.5,
                  error)
        for e, status, error in [
            ("guiyang", "ok", None),
            ("baotou", "failed", {"cell_index": 2, "execution_count": 3, "source": "1 / 0",
                                  "ename": "ZeroDivisionError", "evalue": "division by zero"}),
        ]
    ]  # fmt: skip
    from innostudy import composite as cp

    table, spec = cp.simulated_table(n_units=12, n_indicators=6, seed=4)
    index = cp.build(table, spec)
    return {
        "CompositeIndex": lambda: index,
        "RemoveOne": lambda: index.remove_one("pillar"),
        "Uncertainty": lambda: cp.uncertainty(table, spec, n=200),
        "Sensitivity": lambda: cp.sensitivity(table, spec, n=64, normalisations=("minmax", "rank")),
        "RunResult": lambda: ran[1],
        "RunSummary": lambda: RunSummary(ran, Path("reports"), 19.0),
        "Panel": lambda: panel,
        "TWFEResult": lambda: twfe(panel, "y", controls=["x"]),
        "EventStudyResult": lambda: event_study(panel, "y", window=(-3, 3)),
        "ATTgtResult": lambda: cs,
        "Aggregate": lambda: cs.aggregate("dynamic"),
        "BaconResult": lambda: bacon(panel, "y"),
        "SunAbrahamResult": lambda: sun_abraham(panel, "y"),
        "ImputationResult": lambda: imputation(panel, "y"),
        "HonestResult": lambda: honest(event_study(panel, "y", window=(-3, 3)), m=(0, 0.1)),
        "PlaceboResult": lambda: placebo(panel, "y", n=50),
        "TimePlaceboResult": lambda: placebo(panel, "y", kind="time", shift=2),
        "PSMResult": lambda: psm_did(panel, "y", ["x"], caliper=0.1),
        "HeterogeneityResult": lambda: heterogeneity(grouped, "y", "half"),
        "MechanismResult": lambda: mechanisms(panel, ["y", "x"]),
        "Checklist": lambda: checklist(panel, "y", controls=["x"], placebo_draws=20),
        "EntityProfile": lambda: entity_profile(ds, "guiyang"),
        "Comparison": lambda: compare(ds, ["guiyang", "baotou"]),
        "Dataset": lambda: ds,
        "Harmonised": lambda: divisions.harmonise(city.drop(columns=["城市", "年份"])),
        "PanelFile": lambda: read_panel(_simulated_city_panel()),
        "PilotList": lambda: read_designations(pilots, ds),
    }


@pytest.fixture(scope="module")
def built():
    return {name: make() for name, make in _builders().items()}


RESULTS = sorted(RESULT_CLASSES, key=_qualname)


def test_every_class_with_results_methods_is_a_result():
    """A new class offering summary/tidy/plot joins the protocol (and this test) or fails here."""
    offering = _defined_here(
        lambda c: (
            not c.__name__.startswith("_")
            and not issubclass(c, Exception)
            and any(callable(getattr(c, m, None)) for m in ("summary", "tidy", "plot"))
        )
    )
    outside = {_qualname(c) for c in offering if not issubclass(c, Result)}
    assert outside == PENDING, "make these Results (innostudy.results) or update PENDING"


def test_every_result_class_has_a_builder_here():
    assert {c.__name__ for c in RESULTS} == set(_builders())


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"-?\d[\d,]*(?:\.\d+)?(?:e[+-]\d+)?", text))


@pytest.mark.parametrize("cls", RESULTS, ids=lambda c: c.__name__)
def test_result_protocol(cls, built):
    import matplotlib.pyplot as plt

    result = built[cls.__name__]
    assert type(result) is cls
    simulated = bool(result.simulated)

    text = repr(result)
    assert "\n" not in text and text.startswith(f"<{cls.__name__}: ") and text.endswith(">")
    assert ("[SIMULATED]" in text) == simulated
    assert "<table" in result._repr_html_()

    summary = result.summary()
    assert isinstance(summary, Summary)
    plain, page, latex = summary.as_text(), summary.as_html(), summary.as_latex()
    assert plain and page and latex and "<table" in page and "\\begin{tabular}" in latex
    numbers = _numbers(plain)
    assert numbers and numbers <= _numbers(page) and numbers <= _numbers(latex)
    assert ("SIMULATED DATA" in plain) == simulated and ("SIMULATED DATA" in page) == simulated

    tidy = result.tidy(alpha=0.05)
    assert isinstance(tidy, pd.DataFrame) and len(tidy)
    present = [c for c in tidy.columns if c in VOCABULARY]
    assert present == [c for c in VOCABULARY if c in present]
    assert list(tidy.columns[: len(present)]) == present
    if "conf_low" in tidy:
        wide, narrow = tidy, result.tidy(alpha=0.1)
        width = (wide["conf_high"] - wide["conf_low"]).to_numpy(float)
        narrower = (narrow["conf_high"] - narrow["conf_low"]).to_numpy(float)
        finite = np.isfinite(width) & (width > 0)
        assert finite.any() and (narrower[finite] < width[finite]).all()
        pd.testing.assert_series_equal(wide["estimate"], narrow["estimate"])
        assert result.summary(alpha=0.1) != summary  # the level is chosen at summary time
    with pytest.raises(ValueError, match="alpha"):
        result.tidy(alpha=1.5)

    _, ax = plt.subplots()
    drawn = result.plot(ax=ax)
    assert drawn is ax
    assert ("SIMULATED DATA" in [t.get_text() for t in ax.texts]) == simulated
    plt.close(ax.figure)
    drawn = result.plot(title="x")
    assert drawn.get_title() == "x"
    plt.close(drawn.figure)
