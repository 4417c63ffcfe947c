"""The results protocol (innostudy.results, docs/results.md) over every public result class, and
the root exception over every error class."""

import importlib
import inspect
import pkgutil

import matplotlib
import numpy as np
import pandas as pd
import pytest

import innostudy
from innostudy.errors import InnostudyError
from innostudy.results import Summary, format_value

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
    for number in ("1.2346", "3,300", "—"):
        assert number in s.as_text() and number in s.as_html() and number in s.as_latex()
    assert "a\\_b" in s.as_latex() and "x \\& y" in s.as_latex() and "x &amp; y" in s.as_html()
    assert "SIMULATED DATA" in s.as_text().splitlines()[0]
    assert s.as_html().count("<table") == 2 and "<caption>caption</caption>" in s.as_html()


@pytest.mark.parametrize(
    ("value", "text"),
    [(1, "1"), (1234567, "1,234,567"), (0.5, "0.5000"), (-2.0, "-2.0000"), (1e-9, "1.000e-09"),
     (np.float32(0.25), "0.2500"), (np.int64(12), "12"), (pd.NA, "—"), (True, "True")],
)  # fmt: skip
def test_format_value(value, text):
    assert format_value(value) == text
