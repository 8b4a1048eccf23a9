"""Wall time from clicking Train with the default CNN on the Playground to the finished result,
on the EXPLORER_DATA dataset (the IMDB folder), driven through Streamlit's AppTest.

    EXPLORER_DATA=../shared/data/imdb python benchmarks/bench_app_train.py

The data and tokenizer are prepared once first (as a running server would have them), so the
number is what a user waits for after the click. Uses a temporary storage and runs folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-app-"))
    os.environ["EXPLORER_STORAGE"] = f"sqlite:///{scratch / 'explorer.db'}"
    os.environ["EXPLORER_RUNS"] = str(scratch / "runs")
    from streamlit.testing.v1 import AppTest

    from core.config import DataConfig
    from core.trainer import prepare_data

    t0 = time.perf_counter()
    prepared = prepare_data(DataConfig())
    print(
        f"data ready: {prepared.data.source} {prepared.data.sizes} in {time.perf_counter() - t0:.1f} s"
    )

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    at.switch_page("app_pages/playground.py").run()
    t0 = time.perf_counter()
    at.button(key="playground_train").click().run()
    while not (at.success or at.error):
        time.sleep(0.5)
        at.run()
    wall = time.perf_counter() - t0
    if at.error:
        print("error:", [e.value for e in at.error])
        sys.exit(1)
    metrics = {m.label: m.value for m in at.metric}
    print(f"click to result: {wall:.1f} s; {metrics}")


if __name__ == "__main__":
    main()
