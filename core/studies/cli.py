"""``python -m core study run|create|worker|stop|list|estimate``: the study commands.

:mod:`core.cli` imports :func:`add_study_parser` and :func:`cmd_study` and lists them with its own
commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import optuna
from tqdm.auto import tqdm

from core.errors import (
    EXIT_INTERRUPTED,
    EXIT_NO_MODEL,
    EXIT_OK,
    EXIT_STATUSES,
    ConfigError,
)
from core.results import load_stored_run
from core.settings import get_storage_url
from core.studies._best_run import find_best_run_dir, study_models_dir
from core.studies._cost import estimate_budget, estimate_cost
from core.studies._landscape import describe_point, format_value, load_landscape
from core.studies._optuna_compat import storage_url_of
from core.studies.run import create_study, launch_workers, run_worker, watch_workers
from core.studies.spec import Budget, load_spec, parse_budget
from core.studies.storage import (
    clear_stop,
    list_studies,
    mask_url,
    open_storage,
    read_only_url,
    request_stop,
    require_study_file,
)


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low``, else one sentence with the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is too small: give {low} or more")
        return value

    parse.__name__ = f"a whole number of at least {low}"
    return parse


POSITIVE = at_least(1)


def budget_arg(text: str) -> Budget:
    """An argparse type: a compute budget (:func:`~core.studies.spec.parse_budget`)."""
    try:
        return parse_budget(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


budget_arg.__name__ = "a budget"
BUDGET_HELP = (
    "Training steps ('20000 steps': max_steps summed over trials, pruned ones at the steps they "
    "ran) or training time ('90 min', '1.5h'), over every worker; replaces the file's n_trials "
    "unless --n-trials is given too."
)


def add_study_parser(sub: Any) -> None:
    listed = {"epilog": EXIT_STATUSES, "formatter_class": argparse.RawDescriptionHelpFormatter}
    p = sub.add_parser("study", help="Run and manage Optuna studies (see 'study -h').", **listed)
    ssub = p.add_subparsers(dest="study_command", required=True)

    run = ssub.add_parser(
        "run", help="Create a study from a TOML file and run worker processes.", **listed
    )
    run.add_argument("spec", help="The study file, e.g. studies/cnn.toml.")
    run.add_argument(
        "--n-trials", type=POSITIVE, help="Total trials over all workers (default: the file's)."
    )
    run.add_argument("--budget", type=budget_arg, help=BUDGET_HELP)
    run.add_argument("--workers", type=POSITIVE, default=1, help="Worker processes (default 1).")
    run.add_argument(
        "--storage", help="Optuna storage URL (default: $EXPLORER_STORAGE or studies/explorer.db)."
    )
    run.add_argument(
        "--data", help="Dataset id or folder, instead of the file's or $EXPLORER_DATA."
    )
    run.add_argument("--detach", action="store_true", help="Start the workers and return at once.")
    run.add_argument(
        "--threads", type=POSITIVE, help="torch threads per worker (default: the cores / workers)."
    )

    create = ssub.add_parser(
        "create", help="Create a study from a TOML file without running it (for remote workers)."
    )
    create.add_argument("spec", help="The study file, e.g. studies/cnn.toml.")
    create.add_argument("--storage", help="Optuna storage URL (default: $EXPLORER_STORAGE).")

    worker = ssub.add_parser(
        "worker", help="Join an existing study as one more worker (blocks).", **listed
    )
    worker.add_argument("name", help="The study's name.")
    worker.add_argument("--storage", help="Optuna storage URL (default: $EXPLORER_STORAGE).")
    worker.add_argument(
        "--n-trials",
        type=POSITIVE,
        help="Trials for this worker (default: until the study's budget).",
    )
    worker.add_argument("--budget", type=budget_arg, help=BUDGET_HELP)
    worker.add_argument(
        "--timeout", type=float, help="Stop starting trials after this many seconds."
    )
    worker.add_argument(
        "--worker-index", type=int, default=0, help="Names the worker in its log lines ([w0])."
    )
    worker.add_argument("--threads", type=POSITIVE, help="torch threads (default: all cores).")
    worker.add_argument("--heartbeat", type=int, default=10, help="Heartbeat interval, seconds.")
    worker.add_argument(
        "--grace-period", type=int, help="Seconds without heartbeat before a trial is failed."
    )

    stop = ssub.add_parser(
        "stop", help="Ask a study's workers to finish their evaluation and exit."
    )
    stop.add_argument("name")
    stop.add_argument("--storage")

    ls = ssub.add_parser("list", help="List the studies in the storage.")
    ls.add_argument("--storage")

    keep = ssub.add_parser(
        "keep-best",
        help="Copy the best trial's saved model to studies/models/NAME (float16), for Predict.",
    )
    keep.add_argument("name")
    keep.add_argument("--storage")
    keep.add_argument(
        "--force", action="store_true", help="Replace a model already in studies/models/NAME."
    )

    land = ssub.add_parser(
        "landscape",
        help="Summarise a grid study: its size and CPU time, which knobs move validation "
        "accuracy most, and each knob's sweep around the best point.",
    )
    land.add_argument("name")
    land.add_argument("--storage")

    est = ssub.add_parser("estimate", help="Estimate a study's wall time before running it.")
    est.add_argument("spec")
    est.add_argument("--n-trials", type=POSITIVE)
    est.add_argument(
        "--budget", type=budget_arg, help="What this budget buys: about how many trials."
    )
    est.add_argument("--storage")


def cmd_study(args: argparse.Namespace) -> int:
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own one line per trial instead
    return {
        "run": _run,
        "create": _create,
        "worker": _worker,
        "stop": _stop,
        "list": _list,
        "estimate": _estimate,
        "keep-best": _keep_best,
        "landscape": _landscape,
    }[args.study_command](args)


def _keep_best(args: argparse.Namespace) -> int:
    from core.training import check_export_target, export_model  # torch: keep-best loads one

    target = study_models_dir(args.name)
    require_study_file(args.storage)
    check_export_target(target, args.force)
    run_dir = find_best_run_dir(args.name, read_only_url(args.storage or get_storage_url()))
    export_model(run_dir, target, force=args.force)
    run = load_stored_run(target)
    print(f"{target} (val {run.best_val_accuracy}, test {run.test_accuracy})")
    return 0


def _run(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    if args.budget is not None:
        spec.budget, spec.n_trials = args.budget, None
    handles = launch_workers(
        spec,
        args.n_trials,
        args.workers,
        args.storage,
        detach=args.detach,
        data=args.data,
        threads=args.threads,
    )
    print(
        f"study '{spec.name}': {len(handles)} worker(s), pids "
        f"{', '.join(str(h.pid) for h in handles)}",
        file=sys.stderr,
    )
    if args.detach:
        return 0
    total = args.n_trials or spec.n_trials
    bar = tqdm(total=total, desc=spec.name, unit="trial", file=sys.stderr)
    # In a terminal the bar redraws in place at every poll (its clock ticks); in a log file each
    # redraw is a new line, so there it is drawn only when a count or the best value changes.
    redraw_always = sys.stderr.isatty()
    last: tuple | None = None

    def progress(counts: dict[str, int], best: float | None) -> None:
        nonlocal last
        done = counts.get("COMPLETE", 0) + counts.get("PRUNED", 0)
        state = (done, best, counts.get("FAIL", 0), counts.get("RUNNING", 0))
        if state == last and not redraw_always:
            return
        last = state
        bar.update(max(0, done - bar.n))
        bar.set_postfix(
            best="-" if best is None else f"{best:.4f}",
            fail=counts.get("FAIL", 0),
            running=counts.get("RUNNING", 0),
        )

    rc = watch_workers(spec.name, handles, args.storage, on_progress=progress)
    bar.close()
    usable = _print_best(spec.name, args.storage)
    return EXIT_NO_MODEL if rc == EXIT_OK and not usable else rc


def _create(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    storage = open_storage(args.storage)
    create_study(spec, storage)
    clear_stop(spec.name, storage)
    shown = mask_url(args.storage or storage_url_of(storage) or "")
    print(f"Study '{spec.name}' is ready in {shown}; on each machine, start a worker with:")
    print(f"  python -m core study worker {spec.name} --storage '{shown}'")
    if ":***@" in shown:
        print("(*** stands for the password; or set EXPLORER_STORAGE instead of --storage.)")
    return 0


def _worker(args: argparse.Namespace) -> int:
    report = run_worker(
        args.name,
        args.storage,
        n_trials=args.n_trials,
        timeout_s=args.timeout,
        budget=args.budget,
        worker_index=args.worker_index,
        threads=args.threads,
        heartbeat_interval=args.heartbeat,
        grace_period=args.grace_period,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    counts = ", ".join(f"{len(v)} {k.lower()}" for k, v in report.trials.items()) or "no trials"
    why = f" ({report.stopped})" if report.stopped else ""
    print(f"[w{args.worker_index}] done: {counts}{why}", file=sys.stderr)
    if report.stopped == "interrupted":
        return EXIT_INTERRUPTED
    ran = sum(len(v) for v in report.trials.values())
    failed = len(report.trials.get("FAIL", []))
    return EXIT_NO_MODEL if ran and failed == ran else EXIT_OK


def _stop(args: argparse.Namespace) -> int:
    require_study_file(args.storage)
    request_stop(args.name, args.storage)
    print(f"Stop requested for '{args.name}'; workers exit after their current evaluation.")
    return 0


def _list(args: argparse.Namespace) -> int:
    require_study_file(args.storage)
    # read-only: listing must not change the file (not even SQLite's WAL switch in its header)
    frame = list_studies(read_only_url(args.storage or get_storage_url()))
    frame = frame.drop(columns="description")  # a line of its own each: too wide for the table
    print(frame.to_string(index=False) if len(frame) else "No studies yet.")
    return 0


def _landscape(args: argparse.Namespace) -> int:
    require_study_file(args.storage)
    land = load_landscape(args.name, read_only_url(args.storage or get_storage_url()))
    points = list(land.points.values())
    cpu = sum(p.wall_s or 0.0 for p in points)
    print(
        f"{land.study}: {land.model}, grid {' x '.join(str(len(v)) for v in land.axes.values())}"
        f" = {land.size} trials, {land.distinct_size} distinct points, {len(points)} trained;"
        f" training {cpu / 3600:.2f} CPU-hours (sum of the runs' wall time)"
    )
    print(f"held: {describe_point(land.held_shown())}")
    print("how far each knob alone moves validation accuracy (median over every baseline):")
    for knob, swing in land.effects().items():
        print(f"  {knob:>16}: {swing * 100:5.1f} points")
    at = land.default_point()
    best = land.point(at)
    if best is not None:
        test = f"{best.test_accuracy:.2%}" if best.test_accuracy is not None else "-"
        print(
            f"best by validation: {describe_point(best.values)}: val {best.val_accuracy:.2%}, "
            f"test {test}"
        )
        for knob in land.axes:
            if not land.applies(knob, at):
                continue
            row = ", ".join(
                f"{format_value(v)}: "
                + (f"{p.val_accuracy:.1%}" if p is not None and p.val_accuracy is not None else "-")
                for v, p in land.sweep(knob, at)
            )
            print(f"  sweep {knob} (val): {row}")
    return 0


def _estimate(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    # read-only: the storage only lends its measured throughput; estimating changes no file
    storage = read_only_url(args.storage or get_storage_url())
    print(estimate_cost(spec, storage, n_trials=args.n_trials).describe())
    budget = args.budget or spec.budget
    if budget is not None:
        print(estimate_budget(spec, budget, storage).describe())
    return 0


def _print_best(name: str, storage: str | None) -> bool:
    """Print the study's best trial; False when it has none (no trial completed)."""
    study = optuna.load_study(study_name=name, storage=open_storage(storage))
    try:
        best = study.best_trial
    except ValueError:
        print("No completed trial.", file=sys.stderr)
        return False
    test = best.user_attrs.get("test_accuracy")
    print(
        f"best trial {best.number}: val {best.value:.4f}, test "
        f"{'-' if test is None else f'{test:.4f}'}, params {best.params}"
    )
    return True
