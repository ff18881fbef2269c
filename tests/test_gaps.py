"""Series with NaN gaps: cutting into trials (rnnchaos.data.gaps) and training with nan="split"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.data.datasets import SequenceSampler
from rnnchaos.data.gaps import finite_segments, split_at_gaps, split_trials_at_gaps


def _series_with_gaps(T: int, gaps: list[tuple[int, int]], n: int = 2) -> np.ndarray:
    """Column 0 is the row index (so a window that jumps a gap shows a step > 1), column 1 a sine."""
    x = np.stack([np.arange(T, dtype=np.float64), np.sin(0.05 * np.arange(T))] + [np.cos(0.07 * np.arange(T))] * (n - 2),
                 axis=1)
    for a, b in gaps:
        x[a:b, 1] = np.nan
    return x


def test_split_at_gaps_keeps_the_finite_segments_exactly() -> None:
    x = _series_with_gaps(100, [(0, 3), (20, 25), (27, 30), (90, 100)])
    x[50, 0] = np.inf  # a one-row gap in another column
    g = split_at_gaps(x, min_length=10)
    assert finite_segments(x) == [(3, 20), (25, 27), (30, 50), (51, 90)]
    assert g.kept == [(3, 20), (30, 50), (51, 90)]
    assert g.dropped == [(25, 27)]
    assert [t.shape[0] for t in g.trials] == [17, 20, 39]
    assert all(np.shares_memory(t, x) for t in g.trials)  # views, no copy
    assert g.report() == {"n_gaps": 5, "n_nonfinite_rows": 3 + 5 + 3 + 1 + 10, "min_length": 10,
                          "n_trials_kept": 3, "n_trials_dropped": 1, "n_samples_kept": 76, "n_samples_dropped": 2}


def test_a_series_without_gaps_is_one_trial() -> None:
    x = _series_with_gaps(40, [])
    g = split_at_gaps(x, min_length=40)
    assert g.kept == [(0, 40)] and g.n_gaps == 0 and np.array_equal(g.trials[0], x)


def test_all_nan_and_too_short_pieces_are_refused() -> None:
    with pytest.raises(ValueError, match="no finite sample: all 10 rows"):
        split_at_gaps(np.full((10, 2), np.nan), min_length=2)
    with pytest.raises(ValueError, match="no trial of at least 30 samples .* longest finite piece has 20"):
        split_at_gaps(_series_with_gaps(62, [(20, 21), (41, 42)]), min_length=30)


def test_split_trials_at_gaps_sums_over_trials_and_skips_a_hopeless_one() -> None:
    a = _series_with_gaps(50, [(10, 12)])
    b = np.full((20, 2), np.nan)
    pieces, report = split_trials_at_gaps([a, b], min_length=5)
    assert [p.shape[0] for p in pieces] == [10, 38]
    assert report["pieces"] == [[[0, 10], [12, 50]], []]
    assert report["n_trials_kept"] == 2 and report["n_samples_kept"] == 48
    assert report["n_nonfinite_rows"] == 2 + 20


@settings(max_examples=50, deadline=None)
@given(T=st.integers(60, 400), seq_len=st.integers(2, 30), seed=st.integers(0, 2**16),
       n_gaps=st.integers(0, 8))
def test_no_sampled_sequence_crosses_a_gap(T: int, seq_len: int, seed: int, n_gaps: int) -> None:
    rng = np.random.default_rng(seed)
    starts = np.sort(rng.choice(T, size=n_gaps, replace=False)) if n_gaps else np.array([], dtype=int)
    gaps = [(int(s), int(min(T, s + rng.integers(1, 6)))) for s in starts]
    x = _series_with_gaps(T, gaps)
    try:
        pieces, _ = split_trials_at_gaps([x], seq_len)
    except ValueError:
        assert all(b - a < seq_len for a, b in finite_segments(x))  # refused only when nothing fits
        return
    sampler = SequenceSampler(pieces, seq_len=seq_len, batch_size=16, seed=seed)
    for _ in range(5):
        batch = sampler.sample()
        assert np.isfinite(batch).all()
        # column 0 is the original row index: consecutive rows only, i.e. no window spans a gap
        assert np.all(np.diff(batch[:, :, 0], axis=1) == 1)
        rows = batch[:, :, 0].astype(int)
        assert np.isfinite(x[rows]).all()


def test_training_with_three_gaps_uses_the_kept_trials_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rnnchaos.training.reconstructor as reconstructor
    from rnnchaos.training.run import train_from_source

    seen: list[object] = []

    class RecordingTrainer(reconstructor.Trainer):  # type: ignore[misc,name-defined]
        def __init__(self, model: object, x: object, *args: object, **kwargs: object) -> None:
            seen.append(x)
            super().__init__(model, x, *args, **kwargs)

    monkeypatch.setattr(reconstructor, "Trainer", RecordingTrainer)
    T = 1200
    t = np.arange(T)
    x = np.stack([np.sin(0.05 * t), np.cos(0.031 * t), np.sin(0.017 * t + 1)], axis=1)
    x[300:310] = np.nan            # gap 1
    x[700, 2] = np.nan             # gap 2 (one value)
    x[715:740] = np.nan            # gap 3: leaves 701..715 (14 samples < seq_len): dropped
    path = tmp_path / "gappy.npy"
    np.save(path, x)
    out = tmp_path / "run"
    rec, summary = train_from_source(str(path), nan="split", test_fraction=0.2, epochs=2, hidden=4, seq_len=40,
                                     batch_size=4, batches_per_epoch=1, tau=5, select_every=0, out=out)
    assert summary["status"] == "completed"
    assert (summary["gaps"], summary["trials_kept"], summary["trials_dropped"]) == (3, 3, 1)
    assert (summary["samples_kept"], summary["samples_dropped"]) == (300 + 390 + 460, 14)
    cfg = json.loads((out / "config.json").read_text())
    assert [(r["start"], r["stop"]) for r in cfg["data"]["trials"]] == [(0, 300), (310, 700), (740, 1200)]
    assert cfg["split"]["gaps"]["n_trials_kept"] == 3 and cfg["split"]["gaps"]["n_gaps"] == 3
    n_test = round(0.2 * 460)
    assert cfg["split"]["n_test"] == n_test and cfg["split"]["n_train"] == 1150 - n_test
    # the trainer got exactly the kept pieces (the last one without its test part), standardised
    (data,) = seen
    assert isinstance(data, list) and [d.shape[0] for d in data] == [300, 390, 460 - n_test]
    pooled = np.concatenate([x[0:300], x[310:700], x[740:1200 - n_test]])
    mean, std = pooled.mean(axis=0), pooled.std(axis=0)
    for piece, (a, b) in zip(data, [(0, 300), (310, 700), (740, 1200 - n_test)], strict=True):
        np.testing.assert_allclose(piece, (x[a:b] - mean) / std, rtol=1e-12, atol=1e-12)
    assert rec.gaps_ is not None and rec.gaps_["n_gaps"] == 0  # fit saw finite pieces only


def test_reconstructor_fit_splits_an_array_with_gaps() -> None:
    from rnnchaos.training.reconstructor import Reconstructor

    x = _series_with_gaps(400, [(100, 104), (250, 251)], n=3)[:, 1:]
    rec = Reconstructor(hidden=3, nan="split", epochs=1, seq_len=30, batch_size=2, batches_per_epoch=1, tau=5,
                        select_every=0).fit(x)
    assert rec.gaps_ == {"n_trials_in": 1, "n_gaps": 2, "n_nonfinite_rows": 5, "min_length": 30, "n_trials_kept": 3,
                         "n_trials_dropped": 0, "n_samples_kept": 395, "n_samples_dropped": 0}
    assert rec.split_["gaps"] == rec.gaps_
    with pytest.raises(ValueError, match="nan='split'"):
        Reconstructor(hidden=3, epochs=1, seq_len=30, tau=5).fit(x)
    with pytest.raises(ValueError, match="nan must be one of error, split"):
        Reconstructor(hidden=3, nan="drop", epochs=1, seq_len=30, tau=5).fit(x)
