"""The data's own distances under the STF preset (``stf2022``) on the six STF sets: what the released STF numbers
(docs/results_dsr.md, "released (STF)") should be read against.

    RNNCHAOS_DATA_DIR=../shared/data PYTHONPATH=src .venv/bin/python experiments/stf2022_floors.py

Pairs (truth, other), as the gtf2023 floors but scored with ``stf2022``: test halves (second half of the held-out
20 % against its first half), train vs test (the held-out 20 % against the last len(test) training points), and
the training part's own halves.  Writes experiments/results/dsr_benchmark/stf2022_floors.json.
"""

from __future__ import annotations

from pathlib import Path

from rnnchaos._util.atomic import write_json_atomic
from rnnchaos.metrics.scoring import score_trajectory
from rnnchaos.reproductions.dsr_benchmark import DATASETS, load_split

OUT = Path(__file__).resolve().parents[1] / "experiments" / "results" / "dsr_benchmark" / "stf2022_floors.json"


def main() -> None:
    table = {}
    for name, ds in DATASETS.items():
        if not ds.is_stf:
            continue
        train, test = load_split(name)
        h, ht = len(test) // 2, len(train) // 2
        pairs = {"test_halves": (test[h:], test[:h]), "train_vs_test": (test, train[-len(test):]),
                 "train_halves": (train[ht:], train[:ht])}
        row = {}
        for pair, (truth, other) in pairs.items():
            s = score_trajectory(truth, other, preset="stf2022", seed=0)
            row[f"{pair}_d_stsp"], row[f"{pair}_d_h"], row[f"{pair}_length"] = s.d_stsp, s.d_h, len(truth)
        table[name] = row
        print(name, {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    write_json_atomic(OUT, table)


if __name__ == "__main__":
    main()
