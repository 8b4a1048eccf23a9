"""Keep the studies a visitor should see in studies/examples.db, each with a one-line
description, and move the research arms to studies/research.db.

    .venv/bin/python studies/split_examples.py

Both files keep every trial as it was stored (replay keys, configs, models): studies are only
deleted from the copy they do not belong to. research.db also holds the two pruning arms that
examples.db shows, so that each file is complete on its own.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import optuna

STUDIES = Path(__file__).resolve().parent
EXAMPLES = STUDIES / "examples.db"
RESEARCH = STUDIES / "research.db"

# What a visitor sees: the study and what it shows, in one line.
SHOWN = {
    "cnn": "The CNN's main search: all of the report's CNN knobs plus dropout (TPE, 60 trials).",
    "rnn": "The RNN's main search: all of the report's RNN knobs plus dropout and pooling.",
    "seed-cnn": "The report's own study, reproduced: learning rate and batch size, seed CNN.",
    "seed-rnn": "The report's own study, reproduced: learning rate and batch size, seed RNN.",
    "seed-table-cnn": "The report's table of hand-tuned CNN runs, retrained as the report ran them.",
    "seed-table-rnn": "The report's table of hand-tuned RNN runs, retrained as the report ran them.",
    "landscape-cnn": "Explore's CNN grid: embedding_dim x filter_size x num_filters x "
    "learning_rate, 300 steps each.",
    "landscape-rnn": "Explore's RNN grid: cell x nonlinearity x mask_padding x hidden_size x "
    "embedding_dim x learning_rate, 200 steps each.",
    "cnn-pretrained": "The CNN on fine-tuned word2vec vectors: longer reviews, several widths, "
    "cosine warm-up.",
    "cnn-pretrained-pooled": "Second stage of cnn-pretrained: max and mean pooling, a box around "
    "its best trial.",
    "rnn-pretrained": "A bidirectional GRU, max-pooled, on fine-tuned word2vec vectors, with "
    "cosine warm-up.",
    "rnn-pretrained-long": "Second stage of rnn-pretrained: its best configuration, trained longer.",
    "cnn-distilled": "A CNN taught by a saved CNN and the linear baseline, with the unlabelled "
    "reviews (validation on the tail split).",
    "cnn-pruner-none": "The pruning comparison without a pruner: 30 trials of cnn.toml's search.",
    "cnn-pruner-successive_halving-rf4": "The pruning comparison with the study files' pruner "
    "(successive halving, factor 4): 30 trials of cnn.toml's search.",
}
# Shown, and kept in research.db too: the pruning comparison's own arms.
BOTH = {"cnn-pruner-none", "cnn-pruner-successive_halving-rf4"}


def _names(path: Path) -> list[str]:
    return [s.study_name for s in optuna.get_all_study_summaries(f"sqlite:///{path}")]


def _drop(path: Path, names: list[str]) -> None:
    url = f"sqlite:///{path}"
    for name in names:
        optuna.delete_study(study_name=name, storage=url)
    con = sqlite3.connect(path)
    con.execute("VACUUM")
    con.close()


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = _names(EXAMPLES)
    missing = set(SHOWN) - set(names)
    if missing:
        raise SystemExit(f"examples.db lacks {sorted(missing)}")
    research = [n for n in names if n not in SHOWN]
    if research:
        shutil.copyfile(EXAMPLES, RESEARCH)
        _drop(RESEARCH, [n for n in names if n in SHOWN and n not in BOTH])
        _drop(EXAMPLES, research)
    url = f"sqlite:///{EXAMPLES}"
    for name, description in SHOWN.items():
        optuna.load_study(study_name=name, storage=url).set_user_attr("description", description)
    print(f"examples.db: {len(_names(EXAMPLES))} studies; research.db: {len(_names(RESEARCH))}")


if __name__ == "__main__":
    main()
