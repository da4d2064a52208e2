"""Size of a ``kg viz`` page and time to a drawn, still page in headless Chromium.

Run: python tests/bench/bench_viz.py [POSTS_DIR]   (default: ../shared/corpus/dev)

For the dev corpus's whole graph and for made-up graphs of 500 and 2,000 nodes
(tests/synthetic.py), prints the nodes and edges drawn, the seconds ``select`` + ``render_page``
take in Python, the page's size, and the seconds from opening the page (file://, offline) to the
page's own "drawn and still" mark, median of several loads in a fresh tab each. Target: the dev
corpus page drawn and interactive within 3 s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import browser  # noqa: E402
from synthetic import synthetic_store  # noqa: E402

from kg.build import build  # noqa: E402
from kg.store import open_store  # noqa: E402
from kg.viz import select  # noqa: E402
from kg.vizpage import render_page, write_page  # noqa: E402

LOADS = 5


def page_of(store, path: Path) -> tuple[int, int, float]:
    start = time.perf_counter()
    selection = select(store)
    write_page(render_page(selection), path)
    return len(selection.graph), selection.graph.number_of_edges(), time.perf_counter() - start


def main() -> None:
    posts = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus" / "dev"
    reason = browser.missing_reason()
    if reason:
        sys.exit(f"cannot run: {reason}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-viz-"))
    build([posts], tmp / "dev")
    cases = [("dev corpus", open_store(tmp / "dev")), ("synthetic 500", synthetic_store(500)),
             ("synthetic 2000", synthetic_store(2000))]
    print(f"{'graph':<16} {'nodes':>6} {'edges':>6} {'python s':>9} {'page KB':>8} {'drawn s (median of ' + str(LOADS) + ')':>24}")
    with browser.chromium() as chromium:
        for name, store in cases:
            path = tmp / (name.replace(" ", "-") + ".html")
            nodes, edges, python_s = page_of(store, path)
            times = []
            for _ in range(LOADS):
                v = browser.visit(chromium, path)
                assert not v.errors and v.requests == [path.resolve().as_uri()], (v.errors, v.requests)
                times.append(v.js("kgViz.readyAt") / 1000)  # ms since navigation start
                v.page.close()
            print(f"{name:<16} {nodes:>6} {edges:>6} {python_s:>9.2f} {path.stat().st_size / 1024:>8.0f} "
                  f"{statistics.median(times):>10.2f} (min {min(times):.2f}, max {max(times):.2f})")


if __name__ == "__main__":
    main()
