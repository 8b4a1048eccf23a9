"""The Optuna storage the study workers, the Playground's jobs and the pages share: opening it
(SQLite, PostgreSQL, journal files; read-only for visitors), study files and URLs, stop
requests, and the fast reads the pages make (bulk SQL, snapshots that reread only what
changed, the trials table).
"""

from __future__ import annotations

from core.studies.storage._backend import open_storage, rdb_of, snapshot_storage
from core.studies.storage._files import (
    StorageError,
    is_read_only_url,
    list_study_files,
    mask_url,
    public_name,
    read_only_url,
    require_study_file,
    scrub_url,
    sqlite_path,
    storage_choices,
    study_file_url,
    viewed_storage_url,
    why_not_offered,
)
from core.studies.storage._queries import (
    RUN_COLUMNS,
    completed_runs,
    datasets_of,
    describe_failures,
    get_best_trial,
    list_studies,
    load_snapshot,
    load_trials,
    main_study,
    runs_frame,
    trials_on_data,
)
from core.studies.storage._snapshots import SnapshotReader, snapshot_of
from core.studies.storage._stop import clear_stop, is_stop_requested, request_stop
from core.studies.storage._trial_sql import latest_user_attr, read_trials_sql
from core.studies.storage._trial_table import (
    PAGE_ROWS,
    TablePage,
    TrialTable,
    page_count,
    table_page,
)

__all__ = [
    "clear_stop",
    "completed_runs",
    "datasets_of",
    "describe_failures",
    "get_best_trial",
    "is_read_only_url",
    "is_stop_requested",
    "latest_user_attr",
    "list_studies",
    "list_study_files",
    "load_snapshot",
    "load_trials",
    "main_study",
    "mask_url",
    "open_storage",
    "page_count",
    "PAGE_ROWS",
    "public_name",
    "rdb_of",
    "RUN_COLUMNS",
    "runs_frame",
    "read_only_url",
    "read_trials_sql",
    "request_stop",
    "require_study_file",
    "scrub_url",
    "snapshot_of",
    "snapshot_storage",
    "SnapshotReader",
    "sqlite_path",
    "storage_choices",
    "StorageError",
    "study_file_url",
    "table_page",
    "TablePage",
    "trials_on_data",
    "TrialTable",
    "viewed_storage_url",
    "why_not_offered",
]
