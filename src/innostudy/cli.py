"""The ``innostudy`` command: ``innostudy validate [DIR]`` and the other subcommands."""

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except FileNotFoundError as error:
        print(f"innostudy: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
