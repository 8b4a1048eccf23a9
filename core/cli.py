"""Command line: ``python -m core train|reproduce-seed|study|worker ...``.

Every knob is a flag named after its config field (``--embedding-dim``). Errors a user can cause
print one sentence and exit with status 2. ``train`` ends with one JSON line.

The commands that train import torch when they run, so ``--help`` and the ``study`` commands that
only read a study file never load it (``tests/core/test_imports.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from core.errors import (
    EXIT_INTERRUPTED,
    EXIT_NO_MODEL,
    EXIT_OK,
    EXIT_STATUSES,
    EXIT_USAGE,
    ExplorerError,
)
from core.knobs import FAMILIES, PRESETS, DataConfig, get_knob, get_knobs
from core.studies.cli import POSITIVE, add_study_parser, cmd_study

# The report's runs: (label, family, overrides on the seed preset, the report's test accuracy).
SEED_RUNS: list[tuple[str, str, dict[str, Any], float]] = [
    ("CNN, embedding_dim 128", "cnn", {"embedding_dim": 128}, 0.690),
    ("CNN, filter_size 6", "cnn", {"filter_size": 6}, 0.693),
    ("CNN, num_filters 20", "cnn", {"num_filters": 20}, 0.716),
    ("RNN baseline", "rnn", {}, 0.508),
    ("RNN, relu", "rnn", {"nonlinearity": "relu"}, 0.514),
    ("RNN, hidden_size 192", "rnn", {"hidden_size": 192}, 0.512),
    ("RNN, 5 layers", "rnn", {"num_layers": 5}, 0.511),
]


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_data_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        help="Hub dataset id or local folder (default: $EXPLORER_DATA or stanfordnlp/imdb).",
    )
    p.add_argument(
        "--text-column",
        default="text",
        help="Column holding the text; several, comma-separated, are joined (default: 'text', "
        "else inferred, or dataset.toml's text_column).",
    )
    p.add_argument(
        "--label-column",
        default="label",
        help="Column holding the label (default: 'label', else inferred, or dataset.toml's).",
    )
    p.add_argument(
        "--header",
        choices=["true", "false"],
        help="Whether the CSV/TSV files have a header row (default: detected; sets "
        "EXPLORER_HEADER).",
    )
    p.add_argument("--label-names", help="Comma-separated names of the classes, in label order.")
    p.add_argument(
        "--tokenizer", help="A pretrained tokenizer name or folder, instead of training one."
    )
    p.add_argument(
        "--teacher-model",
        help="With --teacher baseline: a saved model's folder (trained on this train part) whose "
        "probabilities are averaged with the baseline's, its weight chosen on validation.",
    )
    p.add_argument(
        "--max-train-samples", type=POSITIVE, help="Use only this many training reviews."
    )
    p.add_argument(
        "--max-test-samples",
        type=POSITIVE,
        help="Score only this many test reviews (default: all).",
    )
    p.add_argument("--threads", type=POSITIVE, help="torch threads (default: all cores).")


def data_config_from(args: argparse.Namespace) -> DataConfig:
    if args.header is not None:  # the environment carries it to study workers too
        os.environ["EXPLORER_HEADER"] = args.header
    names = [n.strip() for n in args.label_names.split(",")] if args.label_names else None
    return DataConfig(
        data=args.data,
        text_column=args.text_column,
        label_column=args.label_column,
        label_names=names,
        tokenizer=args.tokenizer,
        teacher_model=getattr(args, "teacher_model", None),
        max_train_samples=args.max_train_samples,
        max_test_samples=args.max_test_samples,
    )


def _add_train(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="Train one model and print its result as JSON.",
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", choices=FAMILIES, default="cnn", help="Model family.")
    p.add_argument(
        "--preset",
        choices=sorted({n for f in PRESETS.values() for n in f}),
        default="default",
        help="Start from these knobs (seed: the report's setup).",
    )
    add_data_flags(p)
    p.add_argument("--no-save", action="store_true", help="Do not save the model.")
    p.add_argument(
        "--export",
        metavar="DIR",
        help="Also copy the trained model to DIR in float16, with its result.json (as "
        "'study keep-best' does; e.g. studies/models/seed-rnn for the viewer's examples).",
    )
    p.add_argument(
        "--force", action="store_true", help="Let --export replace a model already in DIR."
    )
    _add_knob_flags(p, get_knobs())


def _add_knob_flags(p: argparse.ArgumentParser, knobs: list[Any]) -> None:
    for k in knobs:
        kwargs: dict[str, Any] = {"help": k.help + f" (default {k.default})", "default": None}
        if k.choices is not None:
            kwargs["choices"] = list(k.choices)
            kwargs["type"] = k.type
        elif k.type is bool:
            kwargs["type"] = str
            kwargs["metavar"] = "true|false"
        else:
            kwargs["type"] = k.type
        if k.family:
            kwargs["help"] = f"[{k.family}] " + kwargs["help"]
        p.add_argument(_flag(k.name), dest=k.name, **kwargs)


def _knob_overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        k.name: getattr(args, k.name)
        for k in get_knobs()
        if getattr(args, k.name, None) is not None
    }


def _refuse_unused(overrides: dict[str, Any], flat: dict[str, Any]) -> None:
    """One sentence for a flag the run would ignore: a knob whose condition does not hold
    (``--nonlinearity`` with a GRU), or one of the other model family."""
    for name, value in overrides.items():
        knob = get_knob(name)
        if name not in flat:
            raise ExplorerError(
                f"{_flag(name)} is a {(knob.family or '').upper()} knob; this run trains a "
                f"{flat['model'].upper()}, so it would be ignored."
            )
        if not knob.applies(flat):
            wants = ", ".join(f"{_flag(k)} {v}" for k, v in knob.requires)
            now = ", ".join(f"{k} is {flat.get(k)}" for k, _ in knob.requires)
            raise ExplorerError(
                f"{_flag(name)} {value} applies only with {wants} ({now}), so it would be ignored."
            )


def cmd_train(args: argparse.Namespace) -> int:
    from core.training import (
        ProgressBar,
        build_run_config,
        check_export_target,
        export_model,
        prepare_data,
        train_run,
        warm_up,
    )

    if args.export and args.no_save:
        raise ExplorerError("--export needs the saved model; leave out --no-save.")
    if args.export:
        check_export_target(args.export, args.force)  # before training, not after
    overrides = _knob_overrides(args)
    run = build_run_config(args.model, args.preset, overrides, data_config_from(args))
    _refuse_unused(overrides, run.to_flat())
    prepared = prepare_data(run.data)
    reading = prepared.data.reading  # said before training, so a wrong guess is seen at once
    print(f"data: {prepared.data.name}: {reading.describe()}", file=sys.stderr, flush=True)
    warm_up(run, prepared)  # as the app's job workers do, so wall_s compares with the page's
    result = train_run(
        run,
        [ProgressBar(f"{args.model}/{args.preset}")],
        save=not args.no_save,
        prepared=prepared,
    )
    if args.export:
        if result.run_dir is None:
            raise ExplorerError(f"The run ended {result.status} and kept no model to export.")
        export_model(result.run_dir, args.export, force=args.force)
    print(json.dumps(result.summary() | {"data_read": reading.as_dict()}))
    return EXIT_NO_MODEL if result.status == "diverged" else EXIT_OK


def _add_reproduce(sub: Any) -> None:
    p = sub.add_parser(
        "reproduce-seed", help="Run the report's configurations; print its numbers beside ours."
    )
    add_data_flags(p)
    p.add_argument(
        "--max-steps", type=int, help="Override the report's 2500 steps (for a quick look)."
    )
    p.add_argument("--only", help="Comma-separated row numbers (1-based) to run.")
    p.add_argument("--json", help="Also write the rows to this JSON file.")
    p.add_argument(
        "--storage",
        help="Also store each row as a trial of the study seed-table-cnn or seed-table-rnn in "
        "this Optuna storage (e.g. sqlite:///studies/examples.db).",
    )
    _add_knob_flags(p, [k for k in get_knobs() if k.scope == "data"])


def cmd_reproduce(args: argparse.Namespace) -> int:
    from core.training import ProgressBar, build_run_config, train_run

    rows = SEED_RUNS
    if args.only:
        wanted = {int(i) for i in args.only.split(",")}
        rows = [r for i, r in enumerate(SEED_RUNS, 1) if i in wanted]
    data = data_config_from(args)
    table = []
    for label, family, overrides, reported in rows:
        overrides = overrides | _knob_overrides(args)
        if args.max_steps:
            overrides = overrides | {"max_steps": args.max_steps}
        run = build_run_config(family, "seed", overrides, data)
        res = train_run(run, [ProgressBar(label)], save=False)
        table.append({"run": label, "report_test": reported, **res.summary()})
        if args.storage:
            from core.studies.run import record_run

            record_run(
                res,
                args.storage,
                study_name=f"seed-table-{family}",
                kind="reproduction",
                attrs={"run": label, "report_test_accuracy": reported},
            )
    print(render_seed_table(table))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(table, fh, indent=2)
    return 0


def render_seed_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: the report's accuracy beside ours (validation-selected, full test)."""

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f} %"

    lines = [
        "| run | report (test) | ours: best val | ours: test | status | wall s |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['run']} | {pct(r['report_test'])} | {pct(r['best_val_accuracy'])} | "
            f"{pct(r['test_accuracy'])} (n={r['test_size']}) | {r['status']} | {r['wall_s']:.0f} |"
        )
    return "\n".join(lines)


def _add_worker(sub: Any) -> None:
    p = sub.add_parser(
        "worker",
        help="Train the Playground's jobs from a shared storage, on this machine.",
        description="Take the Playground's waiting jobs from the storage every app server "
        "shares (oldest first, one worker per job), train them and store their outcome there. "
        "Start one per machine, or several; stop with Ctrl-C.",
    )
    p.add_argument(
        "--storage",
        help="The app's storage, e.g. postgresql://user:pass@host/explorer (default: "
        "EXPLORER_STORAGE).",
    )
    p.add_argument(
        "--data",
        help="This machine's copy of the data (a folder, a folder of datasets, or a Hub id; "
        "default: EXPLORER_DATA). A job is served when its data's content matches.",
    )
    p.add_argument(
        "--threads", type=POSITIVE, help="torch threads per job (default: EXPLORER_JOB_THREADS)."
    )
    p.add_argument("--max-jobs", type=POSITIVE, help="Stop after this many jobs.")


def cmd_worker(args: argparse.Namespace) -> int:
    from core.jobs import serve_jobs
    from core.settings import get_data_source, get_job_threads, get_storage_url

    serve_jobs(
        args.storage or get_storage_url(),
        args.data or get_data_source(),
        threads=args.threads or get_job_threads(),
        log=lambda line: print(line, flush=True),
        max_jobs=args.max_jobs,
    )
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": cmd_train,
    "reproduce-seed": cmd_reproduce,
    "study": cmd_study,
    "worker": cmd_worker,
}


class UsageError(ExplorerError):
    """A command line argparse cannot read, as one sentence."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake raises :class:`UsageError` instead of printing the whole usage
    and exiting (``main`` turns it into one sentence, and ``train`` still prints its JSON line)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message[:1].upper()}{message[1:]} (see '{self.prog} -h').")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m core",
        description=__doc__.splitlines()[0],
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_reproduce(sub)
    add_study_parser(sub)
    _add_worker(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        if argv[:1] == ["train"]:  # train promises one JSON line, whatever happens
            print(json.dumps({"status": "error", "message": str(err)}))
        return EXIT_USAGE
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecations, not ours
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
    try:
        return COMMANDS[args.command](args)
    except ExplorerError as err:
        print(f"error: {err}", file=sys.stderr)
        if args.command == "train":
            print(json.dumps({"status": "error", "message": str(err)}))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
