"""Three small datasets unlike IMDB, carved from IMDB's own text, to try the product on data it
was not tuned for. Each is written to a folder of its own under ``--out``:

- ``sentences``: short texts with a test file. A review's last sentence (6 to 40 words), labelled
  with the review's sentiment: train from IMDB's train file, test from its test file. A headed CSV
  whose text column is ``sentence``.
- ``genres``: many classes, unbalanced, no test file, no header. Sentences of train and
  unlabelled reviews that name exactly one of twelve genres; the label is the genre and every
  genre word is removed from the text, so the model has to tell a horror sentence from the rest of
  its words. A TSV with the text first.
- ``verdicts``: two classes, one six times the other, no test file, no header, label first. A
  review's first sentence, labelled ``pos`` or ``neg``, with five of every six positive ones
  dropped.

    python -m experiments.standin_data --imdb ../shared/data/imdb --out /tmp/standins
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
TAG = re.compile(r"<[^>]+>")
GENRES = {
    "horror": r"horror|slasher|zombies?",
    "comedy": r"comedy|comedies|comedic",
    "western": r"westerns?",
    "musical": r"musicals?",
    "documentary": r"documentary|documentaries",
    "thriller": r"thrillers?",
    "romance": r"romance|romantic|rom-com",
    "war": r"war",
    "science fiction": r"sci-fi|science fiction|scifi",
    "animation": r"animation|animated|cartoons?|anime",
    "martial arts": r"martial arts|kung fu|karate",
    "noir": r"noir",
}
GENRE_WORDS = {g: re.compile(rf"\b(?:{p})\b", re.IGNORECASE) for g, p in GENRES.items()}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(TAG.sub(" ", text)) if s.strip()]


def words(sentence: str) -> int:
    return len(sentence.split())


def last_sentences(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for text, label in zip(df["text"], df["label"], strict=True):
        fitting = [s for s in sentences(text) if 6 <= words(s) <= 40]
        if fitting:
            rows.append((fitting[-1], int(label)))
    return pd.DataFrame(rows, columns=["sentence", "label"])


def genre_sentences(texts: pd.Series, limit: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for text in texts:
        for s in sentences(text):
            if not 6 <= words(s) <= 40:
                continue
            named = [g for g, pattern in GENRE_WORDS.items() if pattern.search(s)]
            if len(named) != 1:
                continue
            stripped = GENRE_WORDS[named[0]].sub("", s)
            rows.append((re.sub(r"\s+", " ", stripped).strip(), named[0]))
    df = pd.DataFrame(rows, columns=["text", "label"]).drop_duplicates("text")
    return df.sample(n=min(limit, len(df)), random_state=int(rng.integers(2**31)))


def first_sentences(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for text, label in zip(df["text"], df["label"], strict=True):
        fitting = [s for s in sentences(text) if 4 <= words(s) <= 40]
        if fitting and (label == 0 or rng.random() < 1 / 6):
            rows.append(("pos" if label == 1 else "neg", fitting[0]))
    return pd.DataFrame(rows, columns=["label", "text"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--imdb", default="../shared/data/imdb", help="IMDB's parquet folder")
    parser.add_argument("--out", required=True, help="the folder to write the three datasets to")
    args = parser.parse_args()
    imdb, out = Path(args.imdb), Path(args.out)
    rng = np.random.default_rng(0)
    train = pd.read_parquet(imdb / "train.parquet")
    test = pd.read_parquet(imdb / "test.parquet")

    (out / "sentences").mkdir(parents=True, exist_ok=True)
    last_sentences(train).to_csv(out / "sentences" / "train.csv", index=False)
    last_sentences(test).to_csv(out / "sentences" / "test.csv", index=False)

    (out / "genres").mkdir(parents=True, exist_ok=True)
    texts = pd.concat([train["text"], pd.read_parquet(imdb / "unsupervised.parquet")["text"]])
    genre_sentences(texts, 20000, rng).to_csv(
        out / "genres" / "train.tsv", sep="\t", header=False, index=False
    )

    (out / "verdicts").mkdir(parents=True, exist_ok=True)
    first_sentences(train, rng).to_csv(
        out / "verdicts" / "train.tsv", sep="\t", header=False, index=False
    )
    for name in ("sentences", "genres", "verdicts"):
        files = sorted((out / name).iterdir())
        sizes = ", ".join(f"{f.name} {sum(1 for _ in f.open()):,} lines" for f in files)
        print(f"{out / name}: {sizes}")


if __name__ == "__main__":
    main()
