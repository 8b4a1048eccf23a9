"""Optuna studies: search spaces as data, shared storage, background workers, UI queries.

The app's entry points (each in its own small module, imported on use so that a page that only
lists studies does not import torch):

- ``spec``: :func:`load_spec` / :func:`parse_spec` read a study TOML file into a ``StudySpec``;
- ``workers``: :func:`launch_workers` (non-blocking), :func:`run_worker`, :func:`create_study`;
- ``storage``: :func:`open_storage`, :func:`request_stop`, :func:`mask_url` (the only form of a
  storage URL to show);
- ``playground``: :func:`record_run` stores a manual run as a trial;
- ``queries``: :func:`list_studies`, :func:`load_snapshot`, :func:`load_trials`; ``cost``: :func:`estimate_cost`;
- ``snapshots``: :class:`SnapshotReader` rereads only the trials that changed (``trial_sql``
  holds the bulk SQL reads);
- ``figures``: ``build_*_figure`` return plotly figures with "showing k of n" information.

``core.studies.cli`` registers ``python -m core study ...`` when imported.
"""
