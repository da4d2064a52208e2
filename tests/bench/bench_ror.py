"""What ROR costs at load time: the compact file, the gazetteer, the extractor's matcher.

Run: python tests/bench/bench_ror.py [ROUNDS]   (default 5)

Each figure is the CPU time of the best of ROUNDS fresh processes (nothing cached between
them; CPU time, so that other work on the machine does not count), with the
packaged ROR file and with ROR turned off (KG_ROR=): reading ``ror.tsv``; loading the gazetteer
(curated TSVs + ROR); building the extractor's automaton and jieba dictionary (``_scanner()``,
most of which is jieba's own start-up, ROR or not); and the first extraction of one sentence.
Target: ROR adds well under a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

STEPS = r"""
import json, time
clock = time.process_time  # CPU time: other processes on the machine do not count
t0 = clock()
from kg.ror import ror_rows
from kg.gazetteer import gazetteer
from kg import extract
t1 = clock(); rows = ror_rows()
t2 = clock(); g = gazetteer()
t3 = clock(); extract._scanner()
t4 = clock(); extract.extract_text("本文是清华大学和石家庄铁道大学发表于 CVPR 2018 的工作。")
t5 = clock()
print(json.dumps({"import": t1 - t0, "ror file": t2 - t1, "gazetteer": t3 - t2, "matcher": t4 - t3,
                  "first extraction": t5 - t4, "rows": len(rows), "entities": len(g.entities)}))
"""


def run(env_ror: str | None, rounds: int) -> dict[str, float]:
    env = dict(os.environ)
    if env_ror is None:
        env.pop("KG_ROR", None)
    else:
        env["KG_ROR"] = env_ror
    best: dict[str, float] = {}
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", STEPS], env=env, capture_output=True, text=True, check=True)
        for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items():
            best[k] = min(best.get(k, v), v)
    return best


def main(argv: list[str]) -> None:
    rounds = int(argv[0]) if argv else 5
    with_ror, without = run(None, rounds), run("", rounds)
    print(f"{'step':<18}{'with ROR':>10}{'without':>10}{'ROR adds':>10}")
    for k in ("ror file", "gazetteer", "matcher", "first extraction"):
        print(f"{k:<18}{with_ror[k]:>9.3f}s{without[k]:>9.3f}s{with_ror[k] - without[k]:>9.3f}s")
    total = sum(with_ror[k] - without[k] for k in ("ror file", "gazetteer", "matcher"))
    print(f"ROR rows {int(with_ror['rows'])}, entities {int(with_ror['entities'])} "
          f"(without ROR {int(without['entities'])}); ROR adds {total:.3f}s to loading")


if __name__ == "__main__":
    main(sys.argv[1:])
