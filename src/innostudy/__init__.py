"""innostudy: a curated, cited dataset on China's Innovation China (科创中国) pilots, with the
cleaning, indicator and policy-evaluation helpers that its notebooks use.

The modules load on first use (PEP 562), so ``import innostudy`` stays light and ``ist.policy``
imports statsmodels only when asked for:

>>> import innostudy as ist
>>> ds = ist.load_dataset()
>>> ds.wide(["pilot_evaluation_rank"]).loc["guiyang"].item()
23.0
>>> ist.entities.resolve("包头").entity_id
'baotou'
"""

import importlib

from innostudy.dataset import Dataset, ValidationError, load_dataset
from innostudy.errors import InnostudyError

SUBMODULES = (
    "clean", "composite", "dataset", "divisions", "entities", "extract", "files", "indicators",
    "paths", "plots", "policy", "profile", "report", "run",
)  # fmt: skip
__all__ = [
    "Dataset",
    "InnostudyError",
    "ValidationError",
    "load_dataset",
    "__version__",
    *SUBMODULES,
]
__version__ = "0.1.0"


def __getattr__(name: str):
    """Import a submodule on first access (``ist.policy``); anything else is an AttributeError."""
    if name in SUBMODULES:
        return importlib.import_module(f"innostudy.{name}")
    raise AttributeError(f"module 'innostudy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(SUBMODULES))
