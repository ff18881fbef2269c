"""``rnnchaos train``: train an RNN on a series or a built-in system, with sparse or generalized forcing.

Thin: parses, calls :func:`rnnchaos.training.run.train_from_source`, prints the summary.
"""

from __future__ import annotations

import warnings

import click

from rnnchaos._util.threads import single_thread
from rnnchaos.cli._common import LibraryChoice, TextOrNumber, emit, json_option, parse_params, seed_option
from rnnchaos.cli.train_config import config_option


def _tau(value: str) -> int | str:
    if value == "auto":
        return "auto"
    try:
        tau = int(value)
    except ValueError:
        raise click.BadParameter(f"expected 'auto' or a positive integer, got {value!r}", param_hint="--tau") from None
    if tau < 1:
        raise click.BadParameter(f"tau must be >= 1, got {tau}", param_hint="--tau")
    return tau


def _alpha(value: str | None) -> float | str | None:
    if value is None or value == "auto":
        return value
    try:
        a = float(value)
    except ValueError:
        raise click.BadParameter(f"expected 'auto' or a number in [0, 1], got {value!r}", param_hint="--alpha") from None
    if not 0.0 <= a <= 1.0:
        raise click.BadParameter(f"alpha must be in [0, 1], got {a}", param_hint="--alpha")
    return a


@click.command("train")
@config_option
@click.option("--data", "data", required=True, multiple=True, metavar="NAME|FILE",
              help="A .npy/.npz/.csv file (time x dims), a published data set (stf:lorenz63, gtf:ecg, ...: "
                   "rnnchaos.data.catalog; its train file) or a built-in system (lorenz63, rossler, ...; dysts:NAME with the dysts extra). Several "
                   "trials: repeat --data, a glob, an .npz of several arrays or a trials x time x dims .npy.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="System parameter (built-in systems).")
@click.option("--n-steps", type=int, default=100_000, show_default=True, help="Samples simulated for a system.")
@click.option("--dt", type=float, default=None, help="Sampling interval of a simulated flow [system default].")
@click.option("--embed-dim", type=int, default=None, help="Delay-embed a scalar series into this dimension.")
@click.option("--embed-lag", type=int, default=1, show_default=True, help="Delay-embedding lag (steps).")
@click.option("--nan", "nan", type=click.Choice(["error", "split"]), default="error", show_default=True,
              help="NaN/inf in the data: refuse them (error), or cut the series into trials at every run of "
                   "non-finite rows and train on the pieces of at least --seq-len samples (split).")
@click.option("--test-fraction", type=float, default=0.2, show_default=True,
              help="Last fraction of the series held out (train/test split in time).")
@click.option("--model", "arch", type=LibraryChoice("rnnchaos.models.base:buildable_architectures"),
              default="plrnn", show_default=True)
@click.option("--hidden", type=int, default=30, show_default=True, help="Latent size M (LSTM: number of cells).")
@click.option("--width", type=int, default=None,
              help="shplrnn: hidden width L [4M]; alrnn: number P of ReLU units [M // 2].")
@click.option("--clipped", is_flag=True, default=False, help="plrnn/shplrnn: the clipped (bounded) variant.")
@click.option("--observation", type=LibraryChoice("rnnchaos.models.base:OBSERVATIONS"), default="linear",
              show_default=True, help="x = B z, x = B z + b, or the first N latent units.")
@click.option("--forcing", type=LibraryChoice("rnnchaos.training.forcing:METHODS"), default="stf",
              show_default=True)
@click.option("--tau", "tau_text", type=TextOrNumber(), default="auto", show_default=True, metavar="auto|INT",
              help="Forcing interval in steps; auto = c * ln2 / lambda_max of the data.")
@click.option("--tau-mode", type=LibraryChoice("rnnchaos.training.forcing:TAU_MODES"), default="fixed", show_default=True)
@click.option("--delta", type=int, default=0, show_default=True, help="Random tau: half-width of [tau-delta, tau+delta].")
@click.option("--anneal-epochs", type=int, default=None, help="Annealed tau: epoch at which tau is reached.")
@click.option("--alpha", "alpha_text", type=TextOrNumber(), default=None, metavar="A|auto", help="GTF forcing weight in [0, 1] or auto.")
@click.option("--alpha-rule", type=LibraryChoice("rnnchaos.training.gtf:ALPHA_RULES"),
              default="product_upper_bound", show_default=True,
              help="Estimate of --alpha auto (Hess et al. 2023: per-sequence Jacobian product bound, batch max).")
@click.option("--alpha-every", type=int, default=5, show_default=True,
              help="--alpha auto: optimizer steps between alpha estimates (counted within an epoch).")
@click.option("--alpha-smoothing", type=float, default=0.999, show_default=True,
              help="--alpha auto: alpha <- g*alpha + (1-g)*estimate when the estimate is smaller.")
@click.option("--alpha-decay", type=float, default=1.0, show_default=True,
              help="Fixed --alpha: multiply alpha by this every epoch, down to --alpha-min.")
@click.option("--alpha-min", type=float, default=0.0, show_default=True, help="Floor of the decayed alpha.")
@click.option("--noise", type=float, default=0.0, show_default=True, metavar="SD",
              help="Gaussian noise of this sd (standardised units) added to every training batch.")
@click.option("--loss-weights", type=click.Choice(["none", "speed", "speed2"]), default="none", show_default=True,
              help="speed (speed2): weight each step's squared error by 1/(|x_t - x_t-1| + median step) (squared), "
                   "so that slow phases (an ECG's drift between beats) count more by their relative error.")
@click.option("--free-run-loss", "free_run_weight", type=float, default=0.0, show_default=True, metavar="LAMBDA",
              help="Add LAMBDA x the squared error of plain free runs of --free-run-steps steps from windows of the "
                   "slow phase (every step at most the median step length) to the forced loss.")
@click.option("--free-run-steps", type=int, default=100, show_default=True, metavar="K",
              help="Length of the --free-run-loss windows (steps).")
@click.option("--ema-decay", type=float, default=0.0, show_default=True, metavar="D",
              help="Select among, and return, the moving average of the parameters (p <- D p + (1 - D) p_new after "
                   "each step, about 1/(1 - D) steps; 0: off); needs --select-every > 0.")
@click.option("--denoise", type=LibraryChoice("rnnchaos.data.denoise:DENOISE_METHODS"), default="none",
              show_default=True,
              help="wiener: remove white observation noise from the training data first (FFT Wiener filter, the "
                   "noise level from the top 20 % of frequencies); the test data are never filtered.")
@click.option("--latent-l2", type=float, default=0.0, show_default=True, metavar="LAMBDA",
              help="L2 penalty on the latent parameters (A towards 1, the rest towards 0), the GTF code's "
                   "latent regularisation (1e-4 on EEG).")
@click.option("--epochs", type=int, default=None,
              help="Epoch cap [1000 without --minutes; unbounded with --minutes: train until the budget ends].")
@click.option("--minutes", type=float, default=None, help="Time budget (training time; see --budget-clock).")
@click.option("--budget-clock", type=LibraryChoice("rnnchaos.training.trainer:BUDGET_CLOCKS"), default="wall",
              show_default=True,
              help="What --minutes counts: wall-clock time, or the process's CPU time (one core's time: the same "
                   "epochs on a loaded machine as on an idle one).")
@click.option("--seq-len", type=int, default=100, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--batches-per-epoch", type=int, default=10, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--optimizer", type=LibraryChoice("rnnchaos.training.trainer:OPTIMIZERS"), default="adam", show_default=True)
@click.option("--lr-schedule", type=LibraryChoice("rnnchaos.training.trainer:LR_SCHEDULES"), default=None,
              help="[constant; exponential when --lr-final is given]")
@click.option("--lr-final", type=float, default=None, metavar="RATE",
              help="Final learning rate: lr decays exponentially from --lr to RATE over the epochs or the budget.")
@click.option("--lr-decay-epochs", type=int, default=None, metavar="E",
              help="The learning rate reaches --lr-final after E epochs whatever the budget (the schedule of an "
                   "E-epoch run, cut off where the budget ends; the GTF code's per-epoch decay over 5,000). "
                   "Without it a --minutes budget squeezes the whole decay into the budget.")
@click.option("--forcing-signal-grad/--no-forcing-signal-grad", default=True, show_default=True,
              help="Whether the gradient reaches the observation parameters through the forcing signal "
                   "(off: the signal is a constant, as in the GTF paper's code).")
@click.option("--init", "init", type=LibraryChoice("rnnchaos.models.plrnn:SHPLRNN_INITS"), default=None,
              help="shplrnn initialisation: ours (rnnchaos) or that of the GTF paper's code (gtf2023) [rnnchaos].")
@click.option("--clip", type=LibraryChoice("rnnchaos.training.trainer:CLIP_MODES"), default="norm", show_default=True)
@click.option("--clip-value", type=float, default=10.0, show_default=True)
@click.option("--checkpoint-every", type=int, default=100, show_default=True, help="Epochs between checkpoints.")
@click.option("--log-every", type=int, default=10, show_default=True, help="Epochs between metrics.jsonl lines.")
@click.option("--lyap-every", type=int, default=500, show_default=True,
              help="Epochs between lambda_max_model estimates in metrics.jsonl (0: never; with an integer "
                   "--tau, 0 also skips the lambda_max estimate of the data).")
@click.option("--select-every", type=int, default=250, show_default=True,
              help="Model selection: every this many epochs score free runs by D_stsp on the training data and "
                   "keep the best model (0: off, the last model is kept).")
@click.option("--select-protocol", type=LibraryChoice("rnnchaos.training.trainer:SELECT_PROTOCOLS"), default="pooled",
              show_default=True,
              help="pooled: 4 free runs of 20,000 steps from points spread over the training data; gtf2023: the GTF "
                   "protocol on the training data (one free run of 1.25 T from its first point, 0.25 T dropped); "
                   "gtf2023-median: the median of that score over --select-starts runs from points spread over the "
                   "training data; gtf2023-max: the worst of them.")
@click.option("--select-starts", type=click.IntRange(min=1), default=4, show_default=True,
              help="Free runs per selection check: pooled runs (pooled) or runs whose median (gtf2023-median) "
                   "or worst (gtf2023-max) score counts; gtf2023 makes one.")
@click.option("--select-metric", type=LibraryChoice("rnnchaos.training.trainer:SELECT_METRICS"), default="d_stsp",
              show_default=True,
              help="d_stsp, or floor-relative: D_stsp/floor + D_H/floor, the floors those of the training data's "
                   "two halves.")
@click.option("--tensorboard", is_flag=True, help="Also log to DIR/tensorboard (the tensorboard extra: pip install 'rnnchaos[tensorboard]').")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu", show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Run directory.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bar on stderr.")
@seed_option
@json_option
def train(data: tuple[str, ...], params: tuple[str, ...], n_steps: int, dt: float | None, embed_dim: int | None,
          embed_lag: int, nan: str, test_fraction: float, arch: str, hidden: int, width: int | None, clipped: bool,
          observation: str, forcing: str, tau_text: str, tau_mode: str,
          delta: int, anneal_epochs: int | None, alpha_text: str | None, epochs: int | None, minutes: float | None,
          budget_clock: str, alpha_rule: str, alpha_every: int, alpha_smoothing: float, alpha_decay: float,
          alpha_min: float,
          noise: float, loss_weights: str, free_run_weight: float, free_run_steps: int, ema_decay: float, denoise: str, latent_l2: float, seq_len: int, batch_size: int, batches_per_epoch: int, lr: float, optimizer: str,
          lr_schedule: str | None, lr_final: float | None, lr_decay_epochs: int | None, forcing_signal_grad: bool,
          init: str | None, clip: str, clip_value: float, checkpoint_every: int,
          log_every: int, lyap_every: int, select_every: int, select_protocol: str, select_starts: int,
          select_metric: str,
          tensorboard: bool, device: str,
          out: str | None, resume: bool, progress: bool, seed: int, as_json: bool) -> int:
    """Train an RNN to reconstruct the dynamics of --data (sparse teacher forcing by default).

    Prints "run", "tau", "lambda_max_data" (per step), "epochs", "seconds", "final_loss" and "status".
    A diverging run stops, keeps its last good checkpoint and exits with code 1.  --config FILE reads the
    options from a TOML file or a run's config.json (flags override it).
    """
    from rnnchaos.training.run import train_from_source

    tau = _tau(tau_text)
    alpha = _alpha(alpha_text)
    if forcing == "gtf" and alpha is None:
        raise click.UsageError("--forcing gtf needs --alpha A (in [0, 1]) or --alpha auto")
    if clipped and arch not in ("plrnn", "shplrnn"):
        raise click.UsageError(f"--clipped applies to plrnn and shplrnn only, not to --model {arch}")
    if init is not None and arch != "shplrnn":
        raise click.UsageError(f"--init applies to shplrnn only, not to --model {arch}")
    if lr_decay_epochs is not None and lr_final is None:
        raise click.UsageError("--lr-decay-epochs needs --lr-final RATE (the rate it decays to)")
    if resume and out is None:
        raise click.UsageError("--resume needs --out DIR (the run directory to continue)")
    if lr_schedule is None:
        lr_schedule = "constant" if lr_final is None else "exponential"
    embedding = {"dim": embed_dim, "lag": embed_lag} if embed_dim is not None else None
    with single_thread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, summary = train_from_source(
            data[0] if len(data) == 1 else list(data), params=parse_params(params), n_steps=n_steps, dt=dt,
            embedding=embedding, test_fraction=test_fraction, resume=resume, model=arch, hidden=hidden, width=width,
            model_kwargs={**({"clipped": True} if clipped else {}), **({"init": init} if init is not None else {})},
            observation=observation,
            forcing=forcing, tau=tau, tau_mode=tau_mode, delta=delta, anneal_epochs=anneal_epochs, alpha=alpha,
            epochs=epochs, minutes=minutes, budget_clock=budget_clock, seq_len=seq_len, batch_size=batch_size,
            batches_per_epoch=batches_per_epoch, lr=lr, optimizer=optimizer, lr_schedule=lr_schedule, clip=clip,
            clip_value=clip_value, checkpoint_every=checkpoint_every, log_every=log_every, lyap_every=lyap_every,
            select_every=select_every, select_protocol=select_protocol, select_starts=select_starts,
            select_metric=select_metric,
            tensorboard=tensorboard, alpha_rule=alpha_rule, alpha_every=alpha_every,
            alpha_smoothing=alpha_smoothing, alpha_decay=alpha_decay, alpha_min=alpha_min, noise=noise, latent_l2=latent_l2,
            loss_weights=loss_weights, free_run_weight=free_run_weight, free_run_steps=free_run_steps, ema_decay=ema_decay, denoise=denoise,
            lr_end=lr_final, lr_decay_epochs=lr_decay_epochs, forcing_signal_grad=forcing_signal_grad, nan=nan, seed=seed, device=device, out=out, progress=progress)
    for w in caught:
        if summary["status"] == "diverged" and str(w.message) == summary["message"]:
            continue
        click.echo(f"rnnchaos: warning: {' '.join(str(w.message).split())}", err=True)
    emit(summary, as_json)
    if summary["status"] == "diverged":
        click.echo(f"rnnchaos: error: {' '.join(str(summary['message']).split())}", err=True)
        return 1
    return 0
