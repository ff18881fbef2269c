#!/usr/bin/env bash
# The Lorenz-63 sparse-teacher-forcing runs behind docs/results_stf.md, one process at a time, niced,
# one thread. Resumable: rerunning skips finished runs. Usage: bash experiments/run_stf_lorenz.sh [MINUTES]
set -u
cd "$(dirname "$0")/.."
M=${1:-2}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
R=experiments/results
run() { echo "== $(date -u +%H:%M:%S) $*"; nice -n 10 .venv/bin/rnnchaos reproduce "$@" --json > /dev/null || echo "failed: $*"; }
run stf-tau-sweep --dataset stf:lorenz63 --models plrnn --minutes "$M" --out $R/stf_tau_sweep_lorenz63
run stf-ablations --dataset stf:lorenz63 --model plrnn --tau 30 --minutes "$M" --out $R/stf_ablations_lorenz63
run stf-tau-sweep --dataset stf:lorenz63 --models plrnn,lstm --minutes "$M" --out $R/stf_tau_sweep_lorenz63
run stf-tau-sweep --dataset stf:lorenz63 --models plrnn,lstm,rnn --minutes "$M" --out $R/stf_tau_sweep_lorenz63
run stf-tau-sweep --dataset stf:lorenz63 --models plrnn,lstm,rnn --seeds 2 --minutes "$M" --out $R/stf_tau_sweep_lorenz63
echo "== $(date -u +%H:%M:%S) done"
