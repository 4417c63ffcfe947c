"""The git state of the repository, for provenance (commit and whether the tree is dirty)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from innostudy import paths


def git_state(root: Path | None = None) -> dict:
    """``{"commit": sha or None, "dirty": bool or None}``; None where git or a repository is absent.

    ``root`` defaults to the checkout the package was imported from, else the project holding the
    working folder.
    """
    root = root or paths.source_checkout() or paths.project_root()
    if root is None:
        return {"commit": None, "dirty": None}

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}
