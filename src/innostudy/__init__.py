"""innostudy: a curated, cited dataset on China's Innovation China (科创中国) pilots, with the
cleaning, indicator and policy-evaluation helpers that its notebooks use.

>>> import innostudy as ist
>>> ds = ist.load_dataset()
>>> ds.wide(["pilot_evaluation_rank"]).loc["guiyang"].item()
23.0
"""

from innostudy.dataset import Dataset, ValidationError, load_dataset
from innostudy.errors import InnostudyError

__all__ = ["Dataset", "InnostudyError", "ValidationError", "load_dataset", "__version__"]
__version__ = "0.1.0"
