#!/usr/bin/env bash
# Third batch behind docs/results_stf.md: finish the LSTM Lorenz sweep, then second and third PLRNN seeds for
# tau <= 100 (evidence for the tau = c * tau_pred rule). Replaces the RNN sweep of run_stf_rest.sh, which
# would not have finished in the session. One process at a time, niced, one thread; resumable.
set -u
cd "$(dirname "$0")/.."
M=${1:-2}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
R=experiments/results
run() { echo "== $(date -u +%H:%M:%S) $*"; nice -n 10 .venv/bin/rnnchaos reproduce "$@" --json > /dev/null || echo "failed: $*"; }
run stf-tau-sweep --dataset stf:lorenz63 --models plrnn,lstm --minutes "$M" --out $R/stf_tau_sweep_lorenz63
run stf-tau-sweep --dataset stf:lorenz63 --models plrnn --seeds 3 --taus 5,10,20,30,50,70,100 --minutes "$M" \
    --out $R/stf_tau_sweep_lorenz63
echo "== $(date -u +%H:%M:%S) done"
