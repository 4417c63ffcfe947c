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


def _extract(args: argparse.Namespace) -> int:
    """Draft candidates from report files, or append reviewed candidates to the data."""
    from innostudy.dataset import DATA_DIR, ValidationError
    from innostudy.extract import accept, draft, write_draft

    folder = args.data or DATA_DIR
    if args.accept:
        if args.files or args.output:
            print("innostudy extract: --accept takes no FILE and no -o", file=sys.stderr)
            return 2
        try:
            added = accept(args.accept, data=folder)
        except ValidationError as error:
            print(f"nothing appended; {len(error.problems)} problem(s):")
            for problem in error.problems:
                print(f"  - {problem}")
            return 1
        except ValueError as error:
            print(f"nothing appended: {error}")
            return 1
        ids = added.observations["obs_id"]
        print(
            f"appended {len(ids)} observation(s) ({ids.iloc[0]} to {ids.iloc[-1]}) and "
            f"{len(added.sources)} source(s) to {folder}"
        )
        return 0
    if not args.files or not args.output:
        print("innostudy extract: give FILE... and -o CANDIDATES, or --accept", file=sys.stderr)
        return 2
    try:
        result = draft(
            args.files, published=args.published, source_ids=args.source_id, lang=args.lang,
            data=folder,
        )  # fmt: skip
    except ValueError as error:
        print(f"innostudy extract: {error}", file=sys.stderr)
        return 2
    companion = write_draft(result, args.output)
    print(
        f"wrote {len(result.candidates)} candidate(s) from {len(args.files)} file(s) to "
        f"{args.output} and the source row(s) to {companion}; mark each candidate accept or "
        f"reject, complete the source rows, then run: innostudy extract --accept {args.output}"
    )
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

    extract = commands.add_parser(
        "extract",
        help="draft candidate observations from report text, or accept reviewed ones",
        description="Draft: innostudy extract FILE... [--published DATE] [--source-id ID] "
        "-o candidates.csv. Accept: innostudy extract --accept candidates.csv [--data DIR].",
    )
    extract.add_argument("files", nargs="*", metavar="FILE", help="report text files (UTF-8)")
    extract.add_argument(
        "--published", action="append", metavar="DATE",
        help="publication date (ISO); once for all files or once per file",
    )  # fmt: skip
    extract.add_argument(
        "--source-id", action="append", metavar="ID",
        help="source id, once per file (default: the file name as a slug)",
    )  # fmt: skip
    extract.add_argument("--lang", choices=("en", "zh"), help="language (default: detected)")
    extract.add_argument("-o", "--output", metavar="CANDIDATES", help="candidates file to write")
    extract.add_argument("--accept", metavar="CANDIDATES", help="reviewed candidates to append")
    extract.add_argument("--data", help="data folder (default: the repository's data/)")
    extract.set_defaults(func=_extract)
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
