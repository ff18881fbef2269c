#!/usr/bin/env bash
# Second batch behind docs/results_stf.md (after run_stf_lorenz.sh's PLRNN sweep and ablations): one PLRNN
# run at the paper's tau = 30 on each other data set, then the LSTM and RNN Lorenz sweeps. One process at a
# time, niced, one thread; resumable. Usage: bash experiments/run_stf_rest.sh [MINUTES]
set -u
cd "$(dirname "$0")/.."
M=${1:-2}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
R=experiments/results
run() { echo "== $(date -u +%H:%M:%S) $*"; nice -n 10 .venv/bin/rnnchaos reproduce "$@" --json > /dev/null || echo "failed: $*"; }
for d in lorenz63_yz rossler duffing_forced weather_tde eeg_tde; do
  run stf-tau-sweep --dataset stf:$d --models plrnn --taus 30 --no-clip --minutes "$M" --out $R/stf_tau_sweep_$d
done
run stf-tau-sweep --dataset stf:lorenz63 --models plrnn,lstm --minutes "$M" --out $R/stf_tau_sweep_lorenz63
run stf-tau-sweep --dataset stf:lorenz63 --models plrnn,lstm,rnn --minutes "$M" --out $R/stf_tau_sweep_lorenz63
echo "== $(date -u +%H:%M:%S) done"
