"""The ``innostudy`` command: ``validate``, ``extract``, ``run`` and ``list`` (see ``innostudy -h``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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


def _config(args: argparse.Namespace):
    """The reports file: ``--config``, else ``notebooks/reports.yml`` of the project around the
    working folder (walking up); outside a project, a :class:`ProjectNotFoundError` saying so."""
    from innostudy.paths import reports_config

    return args.config if args.config is not None else reports_config()


def _out(args: argparse.Namespace, config) -> str:
    """The site folder: ``--out``, else ``reports/`` of the project holding the reports file."""
    from innostudy.paths import project_root

    if args.out is not None:
        return args.out
    root = project_root(Path(config).resolve().parent)
    return str(root / "reports") if root is not None else "reports/"


def _overrides(pairs: list[str]) -> dict:
    from innostudy.run_plan import parse_overrides

    return parse_overrides(pairs)


def _run(args: argparse.Namespace) -> int:
    """Run the reports; exit 1 if any notebook failed, 128 + N when stopped by signal N."""
    from innostudy.run import run_reports
    from innostudy.run_guard import Interrupted

    config = _config(args)
    args.out = _out(args, config)
    try:
        summary = run_reports(
            config,
            only=args.only,
            jobs=args.jobs,
            out=args.out,
            overrides=_overrides(args.p),
            force=args.force,
        )
    except Interrupted as stop:
        print(
            f"innostudy run: {stop}; its workers and kernels were stopped and no unfinished "
            f"report was kept in {args.out}",
            file=sys.stderr,
        )
        return 128 + stop.signum
    print(summary.summary())
    return 0 if summary.ok else 1


def _list(args: argparse.Namespace) -> int:
    """Print the runs a configuration asks for, after checking their parameters."""
    import json

    from innostudy.run import plan

    runs = plan(_config(args), only=args.only, overrides=_overrides(args.p))
    if args.parameters:
        from innostudy.run_plan import describe_parameters

        print(describe_parameters(runs))
        return 0
    for run in runs:
        parameters = (
            json.dumps(run.parameters, ensure_ascii=False) if run.parameters else "defaults"
        )
        print(f"{run.folder:50} {run.notebook.name:28} {parameters}")
    print(f"{len(runs)} run(s)")
    return 0


def _add_selection(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--config",
        help="reports file (default: notebooks/reports.yml of the project around this folder)",
    )
    command.add_argument("--only", nargs="+", metavar="NAME", help="run only these reports")
    command.add_argument(
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a parameter in every selected notebook that declares it (repeatable)",
    )


def _extract(args: argparse.Namespace) -> int:
    """Draft candidates from report files, or append reviewed candidates to the data.

    Exit 0 when done; 1 when nothing was appended (problems in the candidates, another accept
    holding the folder, a folder that cannot be written); 2 for a misuse or an unreadable FILE.
    """
    from innostudy.dataset import DATA_DIR, ValidationError
    from innostudy.extract import accept, draft, recover, write_draft
    from innostudy.paths import PACKAGED_DATASET

    folder = args.data or DATA_DIR
    if (args.recover or args.accept) and Path(folder).resolve() == PACKAGED_DATASET:
        print(
            "innostudy extract: the data inside the installed package are a read-only copy; "
            "give --data DIR (a checkout's data/ folder)",
            file=sys.stderr,
        )
        return 2
    if args.recover:
        try:
            done = recover(folder, wait=args.wait)
        except ValueError as error:  # another accept holds the folder; a read-only folder
            print(f"nothing recovered: {error}")
            return 1
        print(f"completed an interrupted accept: replaced {', '.join(done)} in {folder}" if done
              else f"{folder}: no interrupted accept to complete")  # fmt: skip
        return 0
    if args.accept:
        if args.files or args.output:
            print("innostudy extract: --accept takes no FILE and no -o", file=sys.stderr)
            return 2
        try:
            added = accept(args.accept, data=folder, wait=args.wait)
        except ValidationError as error:
            print(f"nothing appended; {len(error.problems)} problem(s):")
            for problem in error.problems:
                print(f"  - {problem}")
            return 1
        except ValueError as error:
            print(f"nothing appended: {error}")
            return 1
        ids = added.observations["obs_id"]
        if added.recovered:
            print(f"completed an interrupted accept first: replaced {', '.join(added.recovered)}")
        print(
            f"appended {len(ids)} observation(s) ({ids.iloc[0]} to {ids.iloc[-1]}) and "
            f"{len(added.sources)} source(s) to {folder}"
        )
        if added.indicators is not None and len(added.indicators):
            print(
                f"added {len(added.indicators)} proposed indicator(s) to indicators.csv "
                f"({', '.join(added.indicators['indicator_id'])}) and "
                f"{len(added.lexicon)} phrase(s) to lexicon.csv"
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
        companion = write_draft(result, args.output, keep=tuple(args.files))
    except ValueError as error:
        print(f"innostudy extract: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {len(result.candidates)} candidate(s) from {len(args.files)} file(s) to "
        f"{args.output} and the source row(s) to {companion}; mark each candidate accept or "
        f"reject, complete the source rows, then run: innostudy extract --accept {args.output}"
    )
    return 0


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="innostudy", description="Innovation China (科创中国) research compendium."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check the data tables and list every problem")
    validate.add_argument(
        "data_dir",
        nargs="?",
        help="data folder (default: the checkout's data/, else the packaged copy)",
    )
    validate.set_defaults(func=_validate)

    run = commands.add_parser("run", help="execute the report notebooks and build the report site")
    _add_selection(run)
    run.add_argument("--jobs", type=_positive, help="notebooks at once (default: CPU count)")
    run.add_argument("--out", help="site folder (default: reports/ of the project)")
    run.add_argument(
        "--force", action="store_true", help="run every report, even those that are up to date"
    )
    run.set_defaults(func=_run)

    listing = commands.add_parser("list", help="list the report runs without executing them")
    _add_selection(listing)
    listing.add_argument(
        "--parameters",
        action="store_true",
        help="print each notebook's parameters: name, type, default and help",
    )
    listing.set_defaults(func=_list)

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
    extract.add_argument(
        "--data", help="data folder (default: the checkout's data/, else the packaged copy)"
    )
    extract.add_argument(
        "--wait", type=float, default=30.0, metavar="SECONDS",
        help="how long to wait for another accept on the folder (default: %(default)s)",
    )  # fmt: skip
    extract.add_argument(
        "--recover", action="store_true", help="complete an interrupted accept into --data"
    )
    extract.set_defaults(func=_extract)
    return parser


def main(argv: list[str] | None = None) -> int:
    from innostudy.run import ConfigError
    from innostudy.run_guard import RunError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ConfigError, RunError) as error:
        print(f"innostudy: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
