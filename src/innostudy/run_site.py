"""The report site's index page: every report below ``out`` with parameters, status and links."""

from __future__ import annotations

import html
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from innostudy.run_guard import writing_problem


def _where(error: dict) -> str:
    r"""Where a run failed: the cell, and the line that raised when the traceback tells it.

    >>> _where({"cell_index": 3, "execution_count": 3, "source": "a = 1\nb = a / 0", "line": 2})
    'In [3] (cell 4 of the executed notebook), line 2: `b = a / 0`'
    >>> _where({"cell_index": 3, "execution_count": None, "source": "time.sleep(60)"})
    'cell 4 of the executed notebook, which starts `time.sleep(60)`'
    """
    if error.get("cell_index") is None:
        return "before any cell ran"
    where = f"cell {error['cell_index'] + 1} of the executed notebook"
    if error.get("execution_count") is not None:
        where = f"In [{error['execution_count']}] ({where})"
    lines = (error.get("source") or "").splitlines()
    if error.get("line"):
        return f"{where}, line {error['line']}: `{_cut(lines[error['line'] - 1].strip())}`"
    first = [line for line in lines if line.strip()]
    return where + (f", which starts `{_cut(first[0].strip())}`" if first else "")


def _cut(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


SHOWN_LINES = 12  # of an exception's message in summaries and index.html (the log has it all)


def _exception(error: dict) -> str:
    """``ename: evalue``, a long message cut to its first lines (the executed notebook and
    papermill.log keep the whole).

    >>> _exception({"ename": "E", "evalue": "\\n".join(f"row {i}" for i in range(40))}).splitlines()[-2:]
    ['row 11', '… 28 more lines in the executed notebook']
    """
    if not error.get("evalue"):
        return error["ename"]
    lines = str(error["evalue"]).splitlines()
    if len(lines) > SHOWN_LINES:
        lines = lines[:SHOWN_LINES] + [f"… {len(lines) - SHOWN_LINES} more lines in the "
                                       "executed notebook"]  # fmt: skip
    return f"{error['ename']}: " + "\n".join(lines)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_index(out: str | os.PathLike) -> Path:
    """Write ``out/index.html``: every report below ``out`` with its parameters, status and links."""
    out = Path(out)
    entries = []
    for file in sorted(out.glob("*/*/provenance.json")):
        if any(part.startswith(".") for part in file.relative_to(out).parts):
            continue
        entries.append((file.parent, _read_provenance(file)))
    entries.sort(key=lambda entry: (entry[1]["notebook"], entry[0].name != "default", entry[0]))
    rows = "\n".join(_index_row(out, folder, p) for folder, p in entries)
    failed = sum(p["status"] != "ok" for _, p in entries)
    commit = {(p.get("git") or {}).get("commit") for _, p in entries} - {None}
    page = INDEX_TEMPLATE.format(
        count=len(entries),
        failed=failed,
        commits=html.escape(", ".join(sorted(c[:12] for c in commit)) or "unknown"),
        written=html.escape(_now()),
        rows=rows,
    )
    return write_atomically(out / "index.html", page)


PROVENANCE_KEYS = {"report", "notebook", "parameters", "status", "started", "duration_s", "outputs"}


def _read_provenance(file: Path) -> dict:
    """A report's provenance.json, or a stand-in row saying why it cannot be read (truncated, ...)."""
    try:
        provenance = json.loads(file.read_text(encoding="utf-8"))
        missing = PROVENANCE_KEYS - set(provenance) if isinstance(provenance, dict) else {"all"}
        if missing:
            raise ValueError(f"no {', '.join(sorted(missing))}")
    except (OSError, ValueError) as error:  # JSONDecodeError and UnicodeDecodeError included
        return {
            "report": file.parent.parent.name,
            "notebook": "",
            "parameters": {},
            "status": "unreadable",
            "unreadable": f"{file.name} cannot be read ({error}); run this report again",
            "started": "",
            "duration_s": 0.0,
            "outputs": {"figures": [], "tables": []},
        }
    return provenance


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to a temporary file beside ``path``, then rename it onto ``path``.

    An operating-system error (a full disk, a read-only folder) removes the temporary file and
    raises :class:`~innostudy.run_guard.RunError` naming ``path`` and the reason.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise writing_problem(path, error) from None
    return path


def _index_row(out: Path, folder: Path, p: dict) -> str:
    def link(path: Path, text: str) -> str:
        href = quote(path.relative_to(out).as_posix())
        return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'

    stem = Path(p["notebook"]).stem
    links = [
        link(folder / name, label)
        for name, label in (
            (f"{stem}.html", "report"),
            (f"{stem}.ipynb", "notebook"),
            ("provenance.json", "provenance"),
            ("records.json", "records"),
            ("papermill.log", "log"),
        )
        if (folder / name).exists()
    ]
    outputs = _grouped(link, folder / "figures", p["outputs"]["figures"], "figures")
    outputs += _grouped(link, folder / "tables", p["outputs"]["tables"], "tables")
    parameters = (
        "<br>".join(
            f"{html.escape(k)} = {html.escape(json.dumps(v, ensure_ascii=False))}"
            for k, v in p["parameters"].items()
        )
        or "defaults"
    )
    flag = {True: "SIMULATED DATA", "partly": "PARTLY SIMULATED"}.get(p.get("simulated"))
    simulated = f' <span class="simulated">{flag}</span>' if flag else ""
    description = f'<br><span class="what">{html.escape(p.get("description") or "")}</span>'
    status = p.get("unreadable") or p["status"]
    if p.get("error"):
        status += f": {_where(p['error'])}: {_exception(p['error'])}"
    dirty = " (dirty)" if (p.get("git") or {}).get("dirty") else ""
    return (
        f'<tr class="{html.escape(p["status"])}">'
        f"<td><strong>{html.escape(p['report'])}</strong>{simulated}{description}"
        f"<br><small>{html.escape(p['notebook'])}</small></td>"
        f"<td><code>{parameters}</code></td>"
        f"<td>{html.escape(status)}</td>"
        f"<td>{html.escape(p['started'][:16].replace('T', ' '))}<br>{p['duration_s']:.1f} s"
        f"<br>{html.escape(((p.get('git') or {}).get('commit') or 'no commit')[:12] + dirty)}</td>"
        f"<td>{' · '.join(links)}</td>"
        f"<td>{'<br>'.join(outputs)}</td></tr>"
    )


def _grouped(link, folder: Path, names: list[str], what: str) -> list[str]:
    """One line per output of a kind: ``figures: coverage (png · svg), qualifiers (png · svg)``."""
    stems: dict[str, list[str]] = {}
    for name in names:
        stem, _, suffix = name.rpartition(".")
        stems.setdefault(stem or name, []).append(name)
    items = [
        f"{html.escape(stem)} ({' · '.join(link(folder / n, n.rpartition('.')[2]) for n in files)})"
        for stem, files in stems.items()
    ]
    return [f"<strong>{what}</strong>: " + ", ".join(items)] if items else []


INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>innostudy reports</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; vertical-align: top; text-align: left; }}
tr.failed td, tr.unreadable td {{ background: #fde8e8; }}
code {{ font-size: 0.9em; }}
.what {{ color: #444; font-size: 0.9em; }}
.simulated {{ color: crimson; font-weight: bold; font-size: 0.8em; border: 1px solid crimson;
  padding: 0 0.3em; }}
td {{ max-width: 30em; }}
</style></head>
<body>
<h1>innostudy reports</h1>
<p>{count} report(s), {failed} failed; code version {commits}; index written {written}.</p>
<table>
<tr><th>report</th><th>parameters</th><th>status</th><th>run</th>
<th>links</th><th>figures and tables</th></tr>
{rows}
</table>
</body></html>
"""
