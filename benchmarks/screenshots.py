"""Headless screenshots of a report site: index.html and every report page, to look at.

Uses Chromium (Debian: ``apt-get install chromium``) in headless mode; skips cleanly, with a message
and exit status 0, when no Chromium is installed. From the repository root, after ``make reports``:

    python benchmarks/screenshots.py [SITE [SHOTS]]     # default: reports/ screenshots/

Each page becomes ``SHOTS/<report>__<parameters>.png`` (the index: ``SHOTS/index.png``), taken in a
window 1280 pixels wide and ``--height`` tall (pages longer than that are cut at the bottom).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """The first Chromium-like browser on the PATH, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def pages(site: Path) -> list[Path]:
    """index.html, then every report page (``<report>/<parameters>/<notebook>.html``)."""
    found = [
        page
        for page in sorted(site.glob("*/*/*.html"))
        if not any(part.startswith(".") for part in page.relative_to(site).parts)
    ]
    return [site / "index.html", *found]


def shot_name(site: Path, page: Path) -> str:
    """``index.png`` or ``<report>__<parameters>.png``."""
    if page == site / "index.html":
        return "index.png"
    report, parameters = page.relative_to(site).parts[:2]
    return f"{report}__{parameters}.png"


def font_config(folder: Path) -> dict:
    """Environment that lets Chromium use the Noto Sans SC font innostudy ships for its figures,
    so that Chinese text shows on a machine without a CJK font installed (as a reader's has)."""
    try:
        from innostudy.plots import cjk_font_path

        font_dir = cjk_font_path().parent
    except ImportError:
        return {}
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<dir>{font_dir}</dir><include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        "</fontconfig>",
        encoding="utf-8",
    )
    return {"FONTCONFIG_FILE": str(conf)}


def screenshot(browser: str, page: Path, target: Path, height: int, env: dict) -> bool:
    """Take one screenshot; True when the PNG was written."""
    command = [
        browser, "--headless=new", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        f"--window-size=1280,{height}", f"--screenshot={target}", page.resolve().as_uri(),
    ]  # fmt: skip
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )
    if done.returncode != 0 or not target.is_file():
        print(f"failed: {page}: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default="reports", type=Path)
    parser.add_argument("shots", nargs="?", default="screenshots", type=Path)
    parser.add_argument("--height", type=int, default=4000, help="window height in pixels")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print(f"skipped: no Chromium found on the PATH (looked for {', '.join(BROWSERS)})")
        return 0
    if not (args.site / "index.html").is_file():
        print(f"no report site at {args.site} (run `make reports` first)", file=sys.stderr)
        return 2
    args.shots.mkdir(parents=True, exist_ok=True)
    env = font_config(args.shots)
    taken = [
        screenshot(browser, page, args.shots / shot_name(args.site, page), args.height, env)
        for page in pages(args.site)
    ]
    print(f"{sum(taken)} of {len(taken)} screenshot(s) in {args.shots}")
    return 0 if all(taken) else 1


if __name__ == "__main__":
    sys.exit(main())
