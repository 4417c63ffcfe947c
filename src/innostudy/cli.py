"""The ``innostudy`` command: ``validate [DIR]``, ``run`` and ``list`` (see ``innostudy -h``)."""

from __future__ import annotations

import argparse
import sys


def _validate(args: argparse.Namespace) -> int:
    """Print every problem in a data folder; exit 1 if there is any."""
    from innostudy.dataset import DATA_DIR, validate

    folder = args.data_dir or DATA_DIR
    problems = validate(folder)
    if problems:
        print(f"{len(problems)} problem(s) in {folder}:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"{folder}: valid")
    return 0


def _overrides(pairs: list[str]) -> dict:
    """``["entity=baotou", "per_capita=true"]`` -> a dict; values are read as YAML, like reports.yml."""
    import yaml

    from innostudy.run import ConfigError

    bad = [pair for pair in pairs if "=" not in pair or not pair.partition("=")[0].strip()]
    if bad:
        raise ConfigError([f"-p {pair!r}: expected key=value" for pair in bad])
    return {
        key.strip(): yaml.safe_load(value)
        for key, _, value in (pair.partition("=") for pair in pairs)
    }


def _run(args: argparse.Namespace) -> int:
    """Run the reports; exit 1 if any notebook failed."""
    from innostudy.run import run_reports

    summary = run_reports(
        args.config, only=args.only, jobs=args.jobs, out=args.out, overrides=_overrides(args.p)
    )
    print(summary.summary())
    return 0 if summary.ok else 1


def _list(args: argparse.Namespace) -> int:
    """Print the runs a configuration asks for, after checking their parameters."""
    import json

    from innostudy.run import plan

    runs = plan(args.config, only=args.only, overrides=_overrides(args.p))
    for run in runs:
        parameters = (
            json.dumps(run.parameters, ensure_ascii=False) if run.parameters else "defaults"
        )
        print(f"{run.folder:50} {run.notebook.name:28} {parameters}")
    print(f"{len(runs)} run(s)")
    return 0


def _add_selection(command: argparse.ArgumentParser) -> None:
    from innostudy.run import DEFAULT_CONFIG

    command.add_argument(
        "--config", default=str(DEFAULT_CONFIG), help="reports file (default: %(default)s)"
    )
    command.add_argument("--only", nargs="+", metavar="NAME", help="run only these reports")
    command.add_argument(
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a parameter in every selected notebook that declares it (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="innostudy", description="Innovation China (科创中国) research compendium."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check the data tables and list every problem")
    validate.add_argument(
        "data_dir", nargs="?", help="data folder (default: the repository's data/)"
    )
    validate.set_defaults(func=_validate)

    run = commands.add_parser("run", help="execute the report notebooks and build the report site")
    _add_selection(run)
    run.add_argument("--jobs", type=int, help="notebooks at once (default: CPU count)")
    run.add_argument("--out", default="reports/", help="site folder (default: %(default)s)")
    run.set_defaults(func=_run)

    listing = commands.add_parser("list", help="list the report runs without executing them")
    _add_selection(listing)
    listing.set_defaults(func=_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    from innostudy.run import ConfigError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ConfigError) as error:
        print(f"innostudy: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
