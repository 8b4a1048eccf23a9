"""What a dataset holds, for Home: split sizes, label balance and a histogram of text lengths."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from core.data import load_data, plural
from core.knobs import DataConfig

LENGTH_SAMPLE = 5000  # texts whose length the histogram shows


@dataclass
class DataSummary:
    source: str
    sizes: dict[str, int]
    label_counts: pd.DataFrame  # index: label name, columns: splits
    lengths: list[int]  # words per text, a sample of the training split
    name: str = ""  # the dataset's display name
    noun: str = "text"  # what one row is: "review", "message"...
    test_carved: bool = False  # no test file: the test split was carved from train
    label_names: list[str] = field(default_factory=list)

    @property
    def nouns(self) -> str:
        return plural(self.noun)


def get_data_summary(source: str) -> DataSummary:
    """Split sizes, label balance and text lengths of the data at ``source``."""
    data = load_data(DataConfig(data=source))
    counts = {}
    for split, ds in data.splits.items():
        labels = pd.Series(ds["label"]).map(dict(enumerate(data.label_names)))
        counts[split] = labels.value_counts().reindex(data.label_names, fill_value=0)
    train = data.splits["train"]
    texts = train.select(range(min(len(train), LENGTH_SAMPLE)))["text"]
    return DataSummary(
        source=data.source,
        sizes=data.sizes,
        label_counts=pd.DataFrame(counts),
        lengths=[len(t.split()) for t in texts],
        name=data.name,
        test_carved=data.test_carved,
        label_names=list(data.label_names),
        noun=data.noun,
    )


def build_length_histogram(lengths: list[int], noun: str = "text") -> go.Figure:
    fig = go.Figure(go.Histogram(x=lengths, nbinsx=60))
    fig.update_layout(
        xaxis_title=f"words per {noun}",
        yaxis_title=plural(noun),
        height=280,
        margin={"t": 10, "b": 40, "l": 50, "r": 10},
    )
    return fig
