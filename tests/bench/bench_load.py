"""Benchmark: how fast Oxigraph's on-disk bulk load runs on this machine — the floor under
`kg build`'s full-build time, whatever kg does before it.

    python tests/bench/bench_load.py [--quads 2000000] [--out OUT]

Loads ``--quads`` synthetic quads (short IRIs, short literals, 1,000 named graphs: the cheapest
data there is) into a new on-disk store with ``Store.bulk_load``, and, with ``--out``, the graph
files that ``kg build`` wrote there (``OUT/graphs/*.trig``, read as one TriG document); prints quads per second of wall time and the CPU time per quad, so
that the rate can be set against the quads a full build has to load (its named graphs and
their merge).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox


def load(label: str, quads: int | None, **source) -> None:
    folder = Path(tempfile.mkdtemp(prefix="kg-bench-load-"))
    try:
        store = ox.Store(str(folder / "store"))
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        store.bulk_load(**source)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        n = quads if quads is not None else len(store)
        del store
        print(f"| {label} | {n:,} | {wall:.1f} | {n / wall / 1000:.0f} | {cpu / n * 1e6:.1f} |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quads", type=int, default=2_000_000)
    ap.add_argument("--out", type=Path, help="also load the graph files of the build in this folder")
    args = ap.parse_args()
    synthetic = "".join(f'<http://e/s{i % 200_000}> <http://e/p{i % 20}> "{i}" <http://e/g{i % 1000}> .\n'
                        for i in range(args.quads)).encode()
    print("| data | quads | seconds | k quads/s | CPU µs per quad |\n|---|---:|---:|---:|---:|")
    load("synthetic N-Quads", args.quads, input=synthetic, format=ox.RdfFormat.N_QUADS)
    if args.out:
        files = sorted((args.out / "graphs").glob("*.trig"))
        load(f"{args.out}/graphs/ ({len(files):,} files)", None,
             input=b"".join(f.read_bytes() for f in files), format=ox.RdfFormat.TRIG)


if __name__ == "__main__":
    main()
