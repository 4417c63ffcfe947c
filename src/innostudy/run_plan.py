"""What ``innostudy run`` would execute: the reports configuration, checked, and its runs.

``notebooks/reports.yml`` lists the reports (see :mod:`innostudy.run`). :func:`load_config` reads it
and :func:`plan` expands it into :class:`Run` objects, one notebook with one parameter set each,
every parameter checked against the parameters the notebook declares before anything runs.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from innostudy.errors import InnostudyError

DEFAULT_CONFIG = Path("notebooks") / "reports.yml"
DEFAULT_TIMEOUT = 600  # seconds per cell
REPORT_KEYS = {"notebook", "parameter_sets", "grid", "timeout"}
MAX_BYTES = 120  # of UTF-8 in a folder name; file systems allow 255


class ConfigError(InnostudyError, ValueError):
    """Every problem found in a reports configuration or its parameters, raised together."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) with the reports to run:\n{lines}")


# -- what to run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One notebook with one parameter set; ``folder`` is where its outputs land below ``out``."""

    report: str
    notebook: Path
    parameters: dict = field(hash=False)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def folder(self) -> str:
        """``<report>/<key-value__...>`` (keys sorted); "default" when the notebook runs with its defaults.

        >>> Run("city_profile", Path("02_city_profile.ipynb"), {"entity": "guiyang"}).folder
        'city_profile/entity-guiyang'
        """
        if not self.parameters:
            return f"{safe_name(self.report)}/default"
        pairs = "__".join(
            f"{safe_name(key)}-{safe_name(value)}" for key, value in sorted(self.parameters.items())
        )
        return f"{safe_name(self.report)}/{_fit(pairs)}"


def safe_name(value: Any) -> str:
    """A file name made from a parameter value: readable, distinct, safe on any file system.

    Letters and digits of any script (``发明专利授权数`` stays as it is), ``.``, ``+``, ``_`` and
    ``-`` are kept; any other run of characters (separators, spaces, controls), a run of ``_`` and
    a run of dots become one ``_``; leading ``-``, ``.``, ``_`` and trailing ``.``, ``_`` are
    dropped. When that changed the text, or the name would pass :data:`MAX_BYTES` of UTF-8, it is
    cut and ends with ``~`` and a hash of the full text, so two different values never share a
    name (an unchanged name has no ``~``).

    >>> safe_name("发明专利授权数"), safe_name(["guiyang", "baotou"])
    ('发明专利授权数', 'guiyang+baotou')
    >>> safe_name("../../etc/passwd")
    'etc_passwd~3754d6cb3a'
    """
    text = _text(value)
    name = re.sub(r"[^\w.+-]+|_{2,}|\.{2,}", "_", text)
    name = re.sub(r"^[-._]+|[._]+$", "", name) or "_"
    return _fit(name) if name == text else _with_hash(name, text)


def _with_hash(name: str, text: str) -> str:
    """``name`` cut to fit :data:`MAX_BYTES` with the hash, then ``~`` and a hash of ``text``."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    room = MAX_BYTES - len(digest) - 1
    while len(name.encode("utf-8", "surrogatepass")) > room:
        name = name[:-1]
    return f"{name.rstrip('.') or '_'}~{digest}"


def _fit(name: str) -> str:
    """``name`` when it fits :data:`MAX_BYTES`, else cut and ended by a hash of all of it."""
    too_long = len(name.encode("utf-8", "surrogatepass")) > MAX_BYTES
    return _with_hash(name, name) if too_long else name


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "+".join(_text(v) for v in value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return str(value)


def load_config(path: str | os.PathLike = DEFAULT_CONFIG) -> dict:
    """Read a reports YAML file (``yaml.safe_load``) and check its shape.

    Notebook paths are resolved against the file's folder. Raises :class:`ConfigError` listing every
    problem at once.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no reports configuration at {path}")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            [f"{path}: {path.stat().st_size:,} bytes; a reports file may have {MAX_CONFIG_BYTES:,}"]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{path}: cannot be read as UTF-8 text: {error}"]) from None
    raw = read_yaml(text, str(path)) or {}
    where = path.name
    problems = []
    if not isinstance(raw, dict) or not isinstance(raw.get("reports"), dict) or not raw["reports"]:
        raise ConfigError([f"{where}: expected a mapping with a non-empty 'reports' mapping"])
    unknown_top = sorted(set(raw) - {"reports", "timeout"})
    if unknown_top:
        problems.append(
            f"{where}: unknown key(s) {', '.join(unknown_top)} (known: reports, timeout)"
        )
    default_timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    reports = {}
    for name, spec in raw["reports"].items():
        at = f"{where}: report {name!r}"
        if not isinstance(spec, dict) or "notebook" not in spec:
            problems.append(f"{at}: needs a 'notebook'")
            continue
        unknown = sorted(set(spec) - REPORT_KEYS)
        if unknown:
            problems.append(
                f"{at}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(REPORT_KEYS))})"
            )
        notebook = (path.parent / spec["notebook"]).resolve()
        if not notebook.is_file():
            problems.append(f"{at}: notebook not found: {notebook}")
        sets = spec.get("parameter_sets", [])
        if not isinstance(sets, list) or not all(isinstance(s, dict) for s in sets):
            problems.append(f"{at}: 'parameter_sets' must be a list of mappings")
            sets = []
        grid = spec.get("grid", {})
        if not isinstance(grid, dict):
            problems.append(f"{at}: 'grid' must map parameter names to value lists")
            grid = {}
        timeout = spec.get("timeout", default_timeout)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            problems.append(f"{at}: timeout must be a positive number of seconds, got {timeout!r}")
        reports[name] = {
            "notebook": notebook,
            "parameter_sets": sets,
            "grid": grid,
            "timeout": timeout,
        }
    if problems:
        raise ConfigError(problems)
    return {"path": path, "reports": reports}


MAX_CONFIG_BYTES = 1_000_000  # a reports file; far above any real one
MAX_VALUE_CHARS = 10_000  # a -p value
MAX_NODES = 100_000  # values in one YAML document once its aliases are expanded


def read_yaml(text: str, where: str, *, aliases: bool = True) -> Any:
    r"""Parse one YAML document safely (``yaml.safe_load``), or raise one clear :class:`ConfigError`.

    Malformed YAML is reported with line and column. Aliases (``*name``) may only repeat what
    stays under :data:`MAX_NODES` values once expanded (a "billion laughs" document of a few
    hundred characters would otherwise expand to gigabytes as it is checked and printed), never
    refer to themselves, and are refused altogether with ``aliases=False``.

    >>> read_yaml("[a, b]", "-p x")
    ['a', 'b']
    >>> read_yaml("a: &x [1, 2]\nb: *x", "-p x", aliases=False)
    Traceback (most recent call last):
    innostudy.run_plan.ConfigError: 1 problem(s) with the reports to run:
      - -p x: YAML aliases (*name) are not allowed here at line 2, column 4
    """
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        reason = error.problem or error.context
        if error.context and reason.startswith(
            "but "
        ):  # "expected a single document ... but found"
            reason = f"{error.context}, {reason}"
        raise ConfigError([f"{where}: malformed YAML: {reason}{at}"]) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"{where}: malformed YAML: {error}"]) from None
    if node is None:
        return None
    alias = (
        None
        if aliases
        else next(
            (e for e in yaml.parse(text, Loader=yaml.SafeLoader) if isinstance(e, yaml.AliasEvent)),
            None,
        )
    )
    problem = (
        _alias_problem(node)
        if alias is None
        else _at("YAML aliases (*name) are not allowed here", alias)
    )
    if problem:
        raise ConfigError([f"{where}: {problem}"])
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:  # e.g. a tag SafeLoader cannot construct
        raise ConfigError([f"{where}: malformed YAML: {error}"]) from None


def _alias_problem(root) -> str | None:
    """Why the aliases of a composed document are refused, or None (linear in its nodes)."""
    import yaml

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Refused("a YAML alias refers to the value that contains it", node)
        open_nodes.add(key)
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        open_nodes.discard(key)
        sizes[key] = total
        if total > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES:,} values once YAML aliases are expanded", node)
        return total

    try:
        size(root)
    except _Refused as refused:
        return _at(f"{refused.args[0]}; the value", refused.node)
    return None


def _at(reason: str, node_or_event) -> str:
    mark = node_or_event.start_mark
    return f"{reason} at line {mark.line + 1}, column {mark.column + 1}"


class _Refused(Exception):
    def __init__(self, reason: str, node):
        super().__init__(reason)
        self.node = node


def parse_overrides(pairs: list[str]) -> dict:
    """``["entity=baotou", "per_capita=true"]`` -> a dict; values are read as YAML, like reports.yml.

    Every malformed pair is reported at once; values are limited to :data:`MAX_VALUE_CHARS`
    characters and may hold no YAML alias.

    >>> parse_overrides(["entities=[guiyang, baotou]", "outcome=发明专利授权数"])
    {'entities': ['guiyang', 'baotou'], 'outcome': '发明专利授权数'}
    """
    problems, overrides = [], {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        shown = pair if len(pair) <= 60 else pair[:57] + "..."
        if not equals or not key.strip():
            problems.append(f"-p {shown!r}: expected key=value")
        elif len(value) > MAX_VALUE_CHARS:
            problems.append(
                f"-p {key.strip()}: the value has {len(value):,} characters; at most "
                f"{MAX_VALUE_CHARS:,} are read (put long lists in reports.yml or a file)"
            )
        else:
            try:
                overrides[key.strip()] = read_yaml(value, f"-p {key.strip()}", aliases=False)
            except ConfigError as error:
                problems += error.problems
    if problems:
        raise ConfigError(problems)
    return overrides


GRID_QUERIES = {
    "entities_with_at_least": "the ids of entities with at least N facts in the repository's data",
}


def _grid_values(report: str, name: str, values: Any) -> tuple[list, list[str]]:
    """The values a grid parameter takes: a list as given, or computed by a named query."""
    at = f"report {report!r}, grid {name!r}"
    if isinstance(values, list):
        return values, [] if values else [f"{at}: empty list of values"]
    if isinstance(values, dict) and len(values) == 1:
        ((query, argument),) = values.items()
        if query == "entities_with_at_least":
            if isinstance(argument, bool) or not isinstance(argument, int) or argument < 1:
                return [], [
                    f"{at}: entities_with_at_least needs a positive integer, got {argument!r}"
                ]
            from innostudy.dataset import load_dataset

            counts = load_dataset().observations["entity_id"].value_counts()
            return sorted(counts.index[counts >= argument]), []
    known = "; ".join(f"{{{q}: N}}: {what}" for q, what in GRID_QUERIES.items())
    return [], [f"{at}: expected a list of values or a query ({known}), got {values!r}"]


def plan(
    config: str | os.PathLike | dict = DEFAULT_CONFIG,
    only: list[str] | None = None,
    overrides: dict | None = None,
) -> list[Run]:
    """The runs a configuration asks for, each parameter set checked against its notebook.

    ``only`` selects reports by name; ``overrides`` (e.g. from ``-p key=value``) are applied to
    every selected run whose notebook declares that parameter, and must be declared by at least one.
    Identical runs (same report and parameters, e.g. after an override) run once.
    Raises :class:`ConfigError` listing every problem before anything has run.
    """
    config = config if isinstance(config, dict) else load_config(config)
    reports = config["reports"]
    problems = []
    unknown = [name for name in only or [] if name not in reports]
    if unknown:
        raise ConfigError([f"unknown report(s) {', '.join(unknown)}; known: {', '.join(reports)}"])
    runs = []
    for name in only or list(reports):
        spec = reports[name]
        notebook = spec["notebook"]
        sets = [dict(s) for s in spec["parameter_sets"]]
        if spec["grid"]:
            axes = {}
            for key, values in spec["grid"].items():
                axes[key], found = _grid_values(name, key, values)
                problems += found
            sets += [
                dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())
            ]
        for parameters in sets or [{}]:
            for key, value in (overrides or {}).items():
                if key in _declared(notebook):
                    parameters[key] = value
            run = Run(name, notebook, parameters, spec["timeout"])
            if run not in runs:
                runs.append(run)
    declared = set().union(*(_declared(run.notebook) for run in runs))
    for key in overrides or {}:
        if key not in declared:
            problems.append(
                f"-p {key}: no selected notebook declares a parameter {key!r} "
                f"(declared: {', '.join(sorted(declared)) or 'none'})"
            )
    problems += _check_parameters(runs)
    folders = {}
    for run in runs:
        if run.folder in folders and folders[run.folder] != run.parameters:
            problems.append(
                f"report {run.report!r}: parameter sets {folders[run.folder]} and "
                f"{run.parameters} give the same folder name {run.folder!r}"
            )
        folders[run.folder] = run.parameters
    if problems:
        raise ConfigError(problems)
    return runs


def _declared(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook declares, as ``papermill.inspect_notebook`` reports them."""
    return _inspect(notebook, notebook.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _inspect(notebook: Path, modified: int) -> dict[str, dict]:
    """Cached by file and modification time: planning and provenance both ask."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


def _check_parameters(runs: list[Run]) -> list[str]:
    """Problems with the runs' parameters: names the notebook does not declare, wrong types.

    The expected type is the notebook's annotation (``entity: str = "guiyang"``) or, without
    one, the type of the default literal. ``int`` is accepted where ``float`` is expected; ``bool``
    is never taken for a number.
    """
    problems = []
    for run in runs:
        params = _declared(run.notebook)
        for name, value in run.parameters.items():
            where = f"{run.notebook.name} (run {run.folder})"
            if name not in params:
                problems.append(
                    f"{where}: unknown parameter {name!r} = {value!r}; the notebook declares "
                    f"{', '.join(params) or 'no parameters'}"
                )
                continue
            expected = _expected_type(params[name])
            if expected is not None and not _matches(expected, value):
                problems.append(
                    f"{where}: parameter {name!r} = {value!r} ({type(value).__name__}) does not "
                    f"match the declared type {expected}"
                )
    return problems


def _expected_type(parameter: dict) -> str | None:
    """The annotation papermill found, else the type name of the default literal (None: any)."""
    if parameter["inferred_type_name"] not in ("None", ""):
        return parameter["inferred_type_name"]
    try:
        default = ast.literal_eval(parameter["default"])
    except (ValueError, SyntaxError):
        return None
    return None if default is None else type(default).__name__


SIMPLE_TYPES = {
    "str": str,
    "int": int,
    "float": int | float,
    "bool": bool,
    "list": list,
    "tuple": list | tuple,
    "dict": dict,
}


def _matches(annotation: str, value: Any) -> bool:
    """Does ``value`` fit the annotation text (``str``, ``list[str]``, ``Optional[int]``, ``a | b``)?

    Annotations it cannot read (a class name, say) accept any value.

    >>> _matches("Optional[list[str]]", ["guiyang"]), _matches("float", True)
    (True, False)
    """
    try:
        node = ast.parse(annotation.strip("'\""), mode="eval").body
    except SyntaxError:
        return True
    return _fits(node, value)


def _fits(node: ast.expr, value: Any) -> bool:
    match node:
        case ast.BinOp(op=ast.BitOr()):
            return _fits(node.left, value) or _fits(node.right, value)
        case ast.Constant(value=None) | ast.Name(id="None" | "NoneType"):
            return value is None
        case ast.Subscript(value=ast.Name(id="Optional"), slice=inner):
            return value is None or _fits(inner, value)
        case ast.Subscript(value=ast.Name(id="list" | "List" | "tuple"), slice=inner):
            inner = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
            return isinstance(value, list | tuple) and all(_fits(inner, v) for v in value)
        case ast.Subscript(value=ast.Name(id=name)):
            return _fits(ast.Name(id=name), value)
        case ast.Name(id=name) if name in SIMPLE_TYPES:
            if isinstance(value, bool) and name != "bool":
                return False
            return isinstance(value, SIMPLE_TYPES[name])
    return True
