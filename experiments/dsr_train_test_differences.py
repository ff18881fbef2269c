"""Why the train and test files of Lorenz-96 and of the bursting neuron differ far more than test halves do
(issue #11, docs/results_dsr.md). Prints the numbers quoted there.

    RNNCHAOS_DATA_DIR=/work/shared/data PYTHONPATH=src .venv/bin/python experiments/dsr_train_test_differences.py

Noise estimate: the mean periodogram |rfft(x)|^2 / T over the top 20 % of frequencies, which for white noise
of variance s^2 equals s^2 (a smooth signal contributes almost nothing there). All scores: gtf2023 through
rnnchaos.metrics.scoring.score_trajectory, truth = the test file.
"""

from __future__ import annotations

import numpy as np

from rnnchaos.metrics.scoring import score_trajectory
from rnnchaos.reproductions.dsr_benchmark import load_split


def hf_noise_var(x: np.ndarray, frac: float = 0.2) -> np.ndarray:
    p = np.abs(np.fft.rfft(x - x.mean(0), axis=0)) ** 2 / x.shape[0]
    return p[int((1 - frac) * p.shape[0]):].mean(0)


def peak_period(x: np.ndarray) -> np.ndarray:
    p = np.abs(np.fft.rfft(x - x.mean(0), axis=0)) ** 2
    f = np.fft.rfftfreq(x.shape[0])
    return 1.0 / f[1 + np.argmax(p[1:], axis=0)]


def acf_time(x: np.ndarray) -> list[int]:
    out = []
    for j in range(x.shape[1]):
        v = x[:, j] - x[:, j].mean()
        f = np.fft.rfft(v, n=2 * len(v))
        a = np.fft.irfft(f * np.conj(f))[: len(v)]
        out.append(int(np.argmax(a / a[0] < 1 / np.e)))
    return out


def lag1(x: np.ndarray) -> list[float]:
    return [round(float(np.corrcoef(x[:-1, j], x[1:, j])[0, 1]), 4) for j in range(x.shape[1])]


def d(truth: np.ndarray, other: np.ndarray) -> str:
    s = score_trajectory(truth, other, preset="gtf2023", seed=0)
    return f"D_stsp {s.d_stsp:.4f}  D_H {s.d_h:.4f}"


def describe(name: str, train: np.ndarray, test: np.ndarray, k: int = 3) -> None:
    print(f"== {name}: train {train.shape}, test {test.shape}")
    for lab, x in (("train", train), ("test", test)):
        print(f"  {lab:5s} sd {np.round(x.std(0)[:k], 3)}  min {np.round(x.min(0)[:k], 2)}  max {np.round(x.max(0)[:k], 2)}")
        print(f"        peak period (steps) {np.round(peak_period(x)[:k], 1)}  acf 1/e time {acf_time(x[:, :k])}  "
              f"lag-1 corr {lag1(x[:, :k])}")
        print(f"        high-frequency noise variance {', '.join(f'{v:.2e}' for v in hf_noise_var(x)[:k])}")


def main() -> None:
    rng = np.random.default_rng(0)
    train, test = load_split("bursting_neuron")
    describe("bursting neuron", train, test)
    s2 = float(hf_noise_var(train).mean())
    off = np.nonzero(train[:, 2] < test[:, 2].min() - 0.5)[0]
    print(f"  first training point {np.round(train[0], 2)}; training points with x3 more than 0.5 below the test "
          f"minimum: {off.size}, at steps {off.min()}..{off.max()} (an initial transient)")
    print(f"  train vs test:                     {d(test, train[:len(test)])}")
    print(f"  train[1000:] vs test:              {d(test, train[1000:1000 + len(test) - 1000])}")
    print(f"  test + white noise of var {s2:.4f}: {d(test, test + rng.normal(0, np.sqrt(s2), test.shape))}")
    h = len(test) // 2
    print(f"  test halves:                       {d(test[h:], test[:h])}")

    train, test = load_split("lorenz96_10d")
    describe("Lorenz-96", train, test)
    print(f"  train vs test:                     {d(test, train[:len(test)])}")
    for k in (2, 3, 4, 5):
        sub = train[::k]
        n = min(len(sub), len(test))
        print(f"  train[::{k}] vs test[:{n}]:   {d(test[:n], sub[:n])}   (test[-{n}:] vs test[:{n}]: "
              f"{d(test[:n], test[-n:])})")
    print(f"  lag-1 corr of train[::4] {lag1(train[::4, :3])}")
    print(f"  test + 1 % white noise:            {d(test, test + rng.normal(0, 0.01, test.shape))}")


if __name__ == "__main__":
    main()
