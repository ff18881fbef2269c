#!/usr/bin/env bash
# The reconstruction benchmark (docs/results_dsr.md), in priority order, resumable: run again and finished runs are
# skipped. Usage (from the repository root):  bash experiments/run_dsr_benchmark.sh [WORKERS]
set -euo pipefail
WORKERS=${1:-2}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export RNNCHAOS_DATA_DIR=${RNNCHAOS_DATA_DIR:-../shared/data}
RNNCHAOS=${RNNCHAOS:-.venv/bin/rnnchaos}   # from a worktree: RNNCHAOS=/work/main/.venv/bin/rnnchaos PYTHONPATH=$PWD/src
OUT=experiments/results/dsr_benchmark
COMMON=(--out "$OUT" --workers "$WORKERS" --seeds 3 --other-seeds 1 --minutes 6 --best-minutes gtf:ecg=12 --json
        --include experiments/results/dsr_benchmark_code --include experiments/results/dsr_benchmark_decay
        --include experiments/results/dsr_benchmark_gtfmed --include experiments/results/dsr_benchmark_gtfmax
        --include experiments/results/dsr_benchmark_seq --include experiments/results/dsr_benchmark_latent
        --include experiments/results/dsr_benchmark_alpha --include experiments/results/dsr_benchmark_agtf
        --include experiments/results/dsr_benchmark_seq600 --include experiments/results/dsr_benchmark_noise
        --include experiments/results/dsr_benchmark_speedw --include experiments/results/dsr_benchmark_freerun
        --include experiments/results/dsr_benchmark_wiener --include experiments/results/dsr_benchmark_seqlong
        --include experiments/results/dsr_benchmark_eeg64 --include experiments/results/dsr_benchmark_l96)
        # ECG's GTF-code runs are there (1c, 1d)
# 1. the best configuration of each target data set and EEG-64, 3 seeds (ECG 12 min, the others 6 min)
$RNNCHAOS reproduce dsr-benchmark "${COMMON[@]}" --only-best \
    --datasets gtf:ecg,stf:lorenz63,dendplrnn:bursting_neuron,dendplrnn:lorenz96,gtf:eeg64
# 1b. the best configuration of the other STF sets, 3 seeds of 6 CPU-minutes each (session 4: a CPU-time budget,
#     so that a run on a shared machine still gets the epochs it would get alone)
$RNNCHAOS reproduce dsr-benchmark "${COMMON[@]}" --only-best --budget-clock cpu \
    --datasets stf:eeg_tde,stf:weather_tde,stf:lorenz63_yz,stf:rossler,stf:duffing_forced
# 1c. ECG with the GTF code's settings, 3 seeds of 14 CPU-minutes (the one-core cap is 15)
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_code --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code --other-seeds 3 --minutes 14 --budget-clock cpu
# 1d. (session 5) the same, selected by the GTF protocol on the training data; and with the decay completed in
#     3,000 epochs (its seed 0 first, then seeds 1 and 2 when it scored better on the training data)
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_code --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel --seeds 3 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_decay --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000 --other-seeds 3 --minutes 14 --budget-clock cpu
# 1e. (session 6) the same, selected by the median GTF-protocol score over 4 starts (gtf2023-median); seed 0 first,
#     seeds 1 and 2 when it scored better on the training data from 6 fresh starts (experiments/selection_robustness.py)
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_gtfmed --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfmed-decay3000 --other-seeds 3 --minutes 14 --budget-clock cpu
# 1f. (sessions 7 and 9) seed 0 of six more ECG configurations: selected by the worst of 4 starts' scores
#     (gtf2023-max) with the paper's 5,000-epoch decay and with 3,000; sequences of 1,000; latent units beyond
#     the observed (docs/results_dsr.md, session 9). None beat the seed spread on the training data, so no seeds 1-2.
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_gtfmax --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfmax,shplrnn-gtf-code-gtfmax-decay3000 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_seq --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfmax-seq1000,shplrnn-gtf-code-gtfmax-seq1000b16 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_latent --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn10-gtf-code-gtfsel-decay2500,alrnn-gtf-code-gtfsel-decay3000 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
# 1g. (session 10) seed 0 of: GTF alpha decayed to 0.01 (sequences of 1,000) and to 0.03; the paper's aGTF; training
#     noise 0.02 and 0.05; the speed-weighted losses (ECG and the bursting neuron); sequences of 600 (bursting
#     neuron). speedw was the best ECG seed 0 on the training data, so it got seeds 1 and 2 (docs/results_dsr.md).
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_alpha --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfmed-alpha01-seq1000,shplrnn-gtf-code-gtfmed-alpha03 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_agtf --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-agtf-gtfmed-decay3000 --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_seq600 --workers "$WORKERS" --json \
    --datasets dendplrnn:bursting_neuron --models shplrnn-gtf-code-gtfsel-decay3000-seq600 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_noise --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000-noise02,shplrnn-gtf-code-gtfsel-decay3000-noise05 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_speedw --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000-speed2w --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_speedw --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000-speedw --other-seeds 3 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_speedw --workers "$WORKERS" --json \
    --datasets dendplrnn:bursting_neuron \
    --models shplrnn-gtf-code-gtfsel-decay3000-speedw,shplrnn-gtf-code-gtfsel-decay3000-speed2w \
    --other-seeds 1 --minutes 14 --budget-clock cpu
#     A/B of the weighting alone at the paper's 5,000-epoch schedule (not in the main table: its first label is
#     session 5's run of shplrnn-gtf-code-gtfsel)
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_ab_speedw --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel,shplrnn-gtf-code-gtfsel-speedw \
    --other-seeds 1 --minutes 14 --budget-clock cpu
#     (session 11) its seeds 1 and 2
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_ab_speedw --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-speedw --other-seeds 3 --minutes 14 --budget-clock cpu
# 1h. (session 11) seed 0 of the free-run loss on slow-phase windows (100 steps, lambda 1e-3 and 1e-2)
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_freerun --workers "$WORKERS" --json \
    --datasets gtf:ecg \
    --models shplrnn-gtf-code-gtfsel-decay3000-free100-lam1e-3,shplrnn-gtf-code-gtfsel-decay3000-free100-lam1e-2 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
# 1i. (session 12) the bursting neuron trained on its Wiener-filtered training file, 3 seeds
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_wiener --workers "$WORKERS" --json \
    --datasets dendplrnn:bursting_neuron --models shplrnn-gtf-code-gtfsel-decay3000-wiener \
    --other-seeds 3 --minutes 14 --budget-clock cpu
#     (session 12) ECG: 5 unforced latent units on sequences of 1,500 / 3,000 steps, seed 0
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_seqlong --workers "$WORKERS" --json \
    --datasets gtf:ecg \
    --models shplrnn10-gtf-code-gtfsel-decay3000-seq1500,shplrnn10-gtf-code-gtfsel-decay3000-seq3000 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
# 1j. (session 12) EEG-64 with the GTF code's EEG settings and GTF-protocol selection (3 seeds), and without it
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_eeg64 --workers "$WORKERS" --json \
    --datasets gtf:eeg64 --models shplrnn-gtf-code-gtfsel-decay3000,shplrnn-gtf-code --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_eeg64 --workers "$WORKERS" --json \
    --datasets gtf:eeg64 --models shplrnn-gtf-code-gtfsel-decay3000 --other-seeds 3 --minutes 14 --budget-clock cpu
#     (session 12) Lorenz-96 with the same recipe, seeds 0-1
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_l96 --workers "$WORKERS" --json \
    --datasets dendplrnn:lorenz96 --models shplrnn-gtf-code-gtfsel-decay3000 --other-seeds 2 --minutes 14 --budget-clock cpu
# 1k. (session 13) ECG: hidden widths 500 and 1,000 (seed 0); training noise of sd 0.01 (seeds 0-2)
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_width --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay1500-w500,shplrnn-gtf-code-gtfsel-decay800-w1000 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_noise --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000-noise01 --other-seeds 3 --minutes 14 --budget-clock cpu
# 1l. (session 14) ECG: model selection among the moving average of the parameters (ema 0.999, 0.9998), seeds 0-1
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_ema --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000-ema999,shplrnn-gtf-code-gtfsel-decay3000-ema9998 \
    --other-seeds 2 --minutes 14 --budget-clock cpu
#     (session 14) ECG: sparse teacher forcing every 20 / 80 steps; constant GTF alpha 0.15 / 0.5 (seed 0)
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_stf --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-stf20-code-gtfsel-decay3000,shplrnn-stf80-code-gtfsel-decay3000 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_alphac --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000-a015,shplrnn-gtf-code-gtfsel-decay3000-a05 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
#     (session 16) ECG: seeds 1-2 of -a05 (its seed-0 selection score was the lowest); alpha 0.7 and
#     alpha 0.5 with training noise 0.01 (seed 0)
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_alphac --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000-a05 --other-seeds 3 --minutes 14 --budget-clock cpu
$RNNCHAOS reproduce dsr-benchmark --out experiments/results/dsr_benchmark_alphac --workers "$WORKERS" --json \
    --datasets gtf:ecg --models shplrnn-gtf-code-gtfsel-decay3000-a07,shplrnn-gtf-code-gtfsel-decay3000-a05-noise01 \
    --other-seeds 1 --minutes 14 --budget-clock cpu
# 2. everything else: the other configurations (1 seed) there, then the other STF sets
$RNNCHAOS reproduce dsr-benchmark "${COMMON[@]}" \
    --datasets gtf:ecg,stf:lorenz63,dendplrnn:bursting_neuron,dendplrnn:lorenz96,gtf:eeg64,stf:eeg_tde,stf:weather_tde,stf:lorenz63_yz,stf:rossler,stf:duffing_forced
