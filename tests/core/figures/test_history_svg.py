"""The static history: a dot per trial for small studies, a fixed-size density for big ones."""

from __future__ import annotations

import re

import optuna
from optuna.trial import TrialState, create_trial

from core.figures._history_svg import history_svg
from core.studies.storage._snapshots import snapshot_of


def _study(values: list[tuple[TrialState, float]]) -> optuna.Study:
    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    trials = []
    for i, (state, v) in enumerate(values):
        t = create_trial(
            state=state,
            value=v,
            params={"x": 0.5},
            distributions=dist,
            intermediate_values={} if state == TrialState.COMPLETE else {100: v},
        )
        t.number = i
        trials.append(t)
    return snapshot_of(trials)


def test_small_studies_get_a_named_dot_per_trial_and_the_best_so_far() -> None:
    study = _study(
        [(TrialState.COMPLETE, 0.7), (TrialState.COMPLETE, 0.9), (TrialState.COMPLETE, 0.8)]
    )
    svg, note = history_svg(study)
    assert "trial #1, complete: 0.9000" in svg and "trial #2, complete: 0.8000" in svg
    assert "best so far: 0.9000" in svg
    # the step line: 0.7 from trial 0, up to 0.9 at trial 1, flat to the last trial
    line = re.search(r'<polyline points="([^"]+)"', svg).group(1).split()
    assert len(line) == 4 and line[1].split(",")[0] == line[2].split(",")[0]
    assert note.startswith("All 3 finished trials")


def test_big_studies_are_counted_in_cells_and_stay_small() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    values = [
        (
            TrialState.COMPLETE if rng.random() < 0.5 else TrialState.PRUNED,
            float(rng.uniform(0.5, 0.9)),
        )
        for _ in range(5000)
    ]
    svg, note = history_svg(_study(values), max_points=2000)
    assert "<image" in svg and "data:image/png;base64," in svg
    assert svg.count("<circle") < 10  # the legend and the best point, not 5,000 dots
    assert len(svg) < 60_000
    assert "All 5,000 finished trials, counted in cells" in note


def test_a_markdown_image_carries_the_svg_and_a_safe_alt_text() -> None:
    import base64

    from core.figures._history_svg import markdown_image

    svg, _ = history_svg(_study([(TrialState.COMPLETE, 0.7)]))
    md = markdown_image(svg, "history of [a] study")
    alt, uri = re.fullmatch(
        r"!\[([^\]]*)\]\((data:image/svg\+xml;base64,[A-Za-z0-9+/=]+)\)", md
    ).groups()
    assert alt == "history of [a) study"
    assert base64.b64decode(uri.split(",", 1)[1]).decode() == svg


def test_the_page_sends_dots_inline_when_few_of_many_trials_are_drawn() -> None:
    """Results sends the density as an image (no hover) and dots inline; it asks
    ``draws_density``, which counts what the figure draws, not the trials it is given."""
    import numpy as np

    from core.figures._history_svg import DOT_LIMIT, draws_density, points_svg
    from core.studies._summary import TrialPoints

    n = DOT_LIMIT + 500
    value = np.full(n, np.nan)
    value[:10] = np.linspace(0.5, 0.9, 10)  # 10 finished with a value; the rest failed without
    points = TrialPoints(
        np.arange(n, dtype=np.int64), value, np.full(n, TrialState.COMPLETE.value, dtype=np.int8)
    )
    assert not draws_density(points)
    svg, _ = points_svg(points, maximize=True)
    assert "trial #9, complete: 0.9000" in svg  # a dot each, named on hover
    value[:] = 0.8
    assert draws_density(points)
    assert "trial #9" not in points_svg(points, maximize=True)[0]
