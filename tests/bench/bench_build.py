"""Benchmark: `kg build` on the dev corpus replicated to ~10,000 posts.

    python tests/bench/bench_build.py [--posts 10000] [--jobs 2] [--keep DIR]

The dev posts are copied with their paper ids rewritten so that every copy holds distinct papers
(``papers/2654`` → ``papers/102654`` in copy 1; see bench_queries.py). Then, each as its own
``kg build`` process, timed and with the peak memory of the process and its workers sampled
from /proc:

1. a full build into an empty folder;
2. the same build again, nothing changed (target ≤ 1 s);
3. one post edited, rebuilt (target ≤ 2 s);
4. a full build into another empty folder, with every entry's text extracted: kg remembers the
   mentions of the last 4,096 texts (a paper recommended again), so build 1 extracts each of the
   dev corpus's 153 texts about once per worker, where a corpus of 10,000 different posts has
   56,000 texts to extract;
5. every named query on the result of 1–3 with its header's example parameters (median of 3).

``--queries-only`` skips 1–3 and times the queries on the build kept in ``--keep``.

Targets (2 cores): full build ≤ 60 s and ≤ 2 GB peak memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from bench_queries import DEV, copy_posts  # noqa: E402


def _tree_rss(pid: int) -> int:
    """Resident memory (bytes) of ``pid`` and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run(command: list[str]) -> tuple[float, int, str]:
    """Run ``command``; return (seconds, peak memory of its process tree in bytes, its stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{err}")
    return seconds, peak, out.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="build here and keep it (default: a temporary folder)")
    ap.add_argument("--queries-only", action="store_true", help="only time the queries on the build in --keep")
    args = ap.parse_args()
    if args.queries_only:
        if not args.keep:
            raise SystemExit("--queries-only needs --keep DIR (a folder an earlier run kept)")
        return time_queries(args.keep / "out")
    if not DEV.is_dir():
        raise SystemExit(f"{DEV} is missing: the benchmark replicates the shared dev corpus")
    work = args.keep or Path(tempfile.mkdtemp(prefix="kg-bench-build-"))
    posts, out = work / "posts", work / "out"
    shutil.rmtree(posts, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    posts.mkdir(parents=True)
    per_copy = sum(1 for p in DEV.iterdir() if p.suffix in (".md", ".txt"))
    copies = -(-args.posts // per_copy)
    files = copy_posts(DEV, posts, range(copies))
    size = sum(f.stat().st_size for f in files)
    print(f"corpus: {len(files)} posts ({copies} copies of the {per_copy} dev posts), {size / 1e6:.0f} MB; "
          f"{args.jobs} worker processes on {os.cpu_count()} cores")

    kg = [sys.executable, "-m", "kg", "build", str(posts), "--out", str(out), "--jobs", str(args.jobs)]
    rows = []
    t, mem, said = run(kg)
    rows.append(("full build", t, mem, 60.0, said))
    t, mem, said = run(kg)
    rows.append(("rebuild, nothing changed", t, mem, 1.0, said))
    edited = files[len(files) // 2]
    edited.write_bytes(edited.read_bytes().replace("发表于".encode(), "发表在".encode(), 1) + "\n".encode())
    t, mem, said = run(kg)
    rows.append(("rebuild, one post changed", t, mem, 2.0, said))
    forget = ("import sys, kg.extract as x; x.extract_text = x.extract_text.__wrapped__; "
              "from kg.cli import main; main()")
    t, mem, said = run([sys.executable, "-c", forget, *kg[3:5], "--out", str(work / "out-all-texts"), *kg[7:]])
    shutil.rmtree(work / "out-all-texts", ignore_errors=True)
    rows.append(("full build, every text extracted", t, mem, 60.0, said))

    print(f"\n| step | seconds | target | peak memory (MB) | kg build said |\n|---|---:|---:|---:|---|")
    for name, t, mem, target, said in rows:
        print(f"| {name} | {t:.2f} | ≤ {target:g} | {mem / 2**20:.0f} | {said.split(' → ')[0]} |")
    graphs = list((out / "graphs").iterdir())
    print(f"\ngraphs/: {len(graphs)} files, {sum(f.stat().st_size for f in graphs) / 1e9:.2f} GB; store: "
          f"{sum(f.stat().st_size for f in (out / 'store').iterdir()) / 1e9:.2f} GB")

    time_queries(out)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def time_queries(out: Path) -> None:
    from kg.query import named_queries, run_named
    from kg.store import open_store

    store = open_store(out)
    timings = []
    for name, q in named_queries().items():
        params = {p.name: p.example for p in q.params if p.kind != "flag"}
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            run_named(store, name, **params)
            runs.append(time.perf_counter() - start)
        timings.append((sorted(runs)[1], name))
    print("\n| named query (example parameters) | median of 3 (ms) |\n|---|---:|")
    for t, name in sorted(timings, reverse=True):
        print(f"| {name} | {t * 1000:.0f} |")


if __name__ == "__main__":
    main()
