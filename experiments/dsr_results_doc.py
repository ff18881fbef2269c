"""Put the benchmark table (experiments/results/dsr_benchmark/dsr_benchmark.md) into docs/results_dsr.md, between
the RESULTS markers, with the budget and epochs of every run.

    RNNCHAOS_DATA_DIR=../shared/data PYTHONPATH=src .venv/bin/python experiments/dsr_results_doc.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rnnchaos.reproductions.dsr_benchmark import DATASETS, _all_records

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "experiments" / "results" / "dsr_benchmark"
DOC = ROOT / "docs" / "results_dsr.md"
#: benchmark directories whose runs join the table (``--include`` of the command that wrote it)
INCLUDE = [ROOT / "experiments" / "results" / d for d in ("dsr_benchmark_code", "dsr_benchmark_decay", "dsr_benchmark_gtfmed",
                                                             "dsr_benchmark_gtfmax", "dsr_benchmark_seq", "dsr_benchmark_latent",
                                                             "dsr_benchmark_alpha", "dsr_benchmark_agtf",
                                                             "dsr_benchmark_seq600", "dsr_benchmark_noise",
                                                             "dsr_benchmark_speedw", "dsr_benchmark_freerun",
                                                             "dsr_benchmark_wiener", "dsr_benchmark_seqlong",
                                                             "dsr_benchmark_eeg64", "dsr_benchmark_l96",
                                                             "dsr_benchmark_width", "dsr_benchmark_ema",
                                                             "dsr_benchmark_stf", "dsr_benchmark_alphac")]


def main() -> None:
    table = (OUT / "dsr_benchmark.md").read_text(encoding="utf-8")
    records = sorted(_all_records(OUT, *INCLUDE), key=lambda r: (list(DATASETS).index(r["result"]["dataset"]),
                                                       r["result"]["config"], r["result"]["seed"]))
    runs = ["| run | budget (min) | epochs | selected epoch | training | D_stsp | D_H | PE(20) | wall (s) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for rec in records:
        r = rec["result"]

        def f(v: object) -> str:
            return "–" if v is None else (f"{v:.3g}" if isinstance(v, float) else str(v))
        runs.append(f"| {rec['params']['run']} | {f(r['minutes'])} | {f(r['epochs'])} | {f(r['selected_epoch'])} | "
                    f"{f(r['training_status'])} | {f(r['d_stsp'])} | {f(r['d_h'])} | {f(r['pe'])} | "
                    f"{rec['duration_s']:.0f} |")
    meta = json.loads((OUT / "dsr_benchmark.json").read_text(encoding="utf-8"))["meta"]
    body = ("<!-- RESULTS -->\n## Results\n\nMedian over seeds, [min, max] where there are several; the best "
            "configuration of each data set in bold. D_stsp, D_H: `gtf2023` on the held-out data (GTF protocol); "
            "PE(20) in squared data units. *verdict*: against the target (ECG, Lorenz-63, bursting neuron, "
            "Lorenz-96) or against the released STF numbers (EEG-10, weather; STF protocol, `stf2022`). "
            "*selection score*: the score by which the trainer chose the model, on the training series only: for "
            "most configurations D_stsp of 4 pooled free runs (preset `stf2022-corrected`), not on the scale of the "
            "`gtf2023` columns; for the `-gtfsel` configurations the GTF protocol on the training series, "
            "D_stsp/f + D_H/f with f the training halves' own scores (0.396 / 0.0446 for ECG), so a perfect "
            "model scores about 2; for `-gtfmed` the median of that score over 4 runs from training points spread "
            "over the series, for `-gtfmax` the worst of the 4 (a larger number than the median).\n\n"
            + table + "\n![benchmark](../experiments/results/dsr_benchmark/dsr_benchmark.png)\n\n"
            "Every run (label `dataset/config/seed/minutes`):\n\n" + "\n".join(runs) + "\n\n"
            f"Protocol: {meta['protocol']}.\n<!-- /RESULTS -->")
    text = DOC.read_text(encoding="utf-8")
    text = re.sub(r"<!-- RESULTS -->.*?<!-- /RESULTS -->|<!-- RESULTS -->", lambda _: body, text, count=1,
                  flags=re.S)
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
