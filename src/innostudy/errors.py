"""The package's root exception: ``except innostudy.InnostudyError`` catches every error it raises.

Each error class also keeps its standard base (``ValueError``, ``FileNotFoundError``), so code
that catches those goes on working.

>>> from innostudy.clean import ParseError
>>> issubclass(ParseError, InnostudyError), issubclass(ParseError, ValueError)
(True, True)
"""


class InnostudyError(Exception):
    """Base of every error innostudy raises about its input, configuration or data."""
