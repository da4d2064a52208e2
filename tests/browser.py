"""Headless Chromium for the tests and benchmarks of ``kg viz`` pages (Playwright, system browser).

Playwright drives the Chromium that Debian's ``chromium`` package installs (``KG_CHROMIUM``
names another); it never downloads a browser of its own. The browser is started offline: every
host name resolves to nothing, so a page that tried the network would fail and be seen doing so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND",
]


def chromium_path() -> str | None:
    """The Chromium to drive, or None when there is none."""
    named = os.environ.get("KG_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "no Chromium (apt-get install chromium fonts-noto-cjk, or set KG_CHROMIUM)"
    if not cjk_fonts():
        return "no font for Chinese (apt-get install fonts-noto-cjk)"
    return None


def cjk_fonts() -> list[str]:
    """The installed fonts that cover Chinese (fontconfig's list), so that pages render 论文."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    except OSError:
        return []
    return sorted({line.strip() for line in out.stdout.splitlines() if line.strip()})


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``) for the duration of the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """An open page and everything it did: console messages, errors, requests, dialogs."""

    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    seconds: float = 0.0  # from navigation to a page drawn and still (the page's own mark)

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)


def visit(browser: Any, path: Path, width: int = 1400, height: int = 900, timeout_ms: int = 30_000) -> Visit:
    """Open the page at ``path`` and wait until it says it is drawn and still."""
    page = browser.new_page(viewport={"width": width, "height": height})
    v = Visit(page)
    page.on("console", lambda m: v.console.append((m.type, m.text)))
    page.on("pageerror", lambda e: v.errors.append(str(e)))
    page.on("request", lambda r: v.requests.append(r.url))
    page.on("dialog", lambda d: (v.dialogs.append(d.message), d.dismiss()))
    start = time.perf_counter()
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_function("window.kgViz && window.kgViz.ready", timeout=timeout_ms)
    v.seconds = time.perf_counter() - start
    return v
