"""Study files and storage URLs, with no database opened: naming, checking and showing them.

- :func:`study_file_url` / :func:`list_study_files`: the study files (``<name>.db``) in the
  studies folder, the only ones the app lets a visitor open, by bare name;
- :func:`check_sqlite_file` / :func:`require_study_file`: one sentence for a file that is not a
  SQLite database, or a study file that does not exist;
- :func:`read_only_url` / :func:`is_read_only_url` / :func:`sqlite_path`: SQLite URLs;
- :func:`mask_url` / :func:`scrub_url`: the only forms of a URL to show (no password);
- :func:`normalize_url`: ``postgresql://`` means psycopg 3.

:class:`StorageError` is the error every storage problem becomes (:mod:`core.studies.storage._backend`
opens the storages themselves).
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from core.errors import ExplorerError
from core.settings import get_storage_url, get_studies_dir


class StorageError(ExplorerError):
    """The study storage could not be opened or read."""


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (plain or ``file:...?mode=ro``), or None."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0].removeprefix("file:")
    return None if not path or path.startswith(":memory:") else Path(path)


def check_sqlite_file(path: Path, *, empty_ok: bool = False) -> None:
    """One sentence when ``path`` exists but is not a SQLite database (random bytes, text, a
    folder; an empty file too unless ``empty_ok``, where SQLite would make it a new database, or
    unless its ``-wal`` file holds the database so far), or is another program's database
    (tables, none of them Optuna's). A missing file passes: whether that is an error depends on
    the caller.

    The file is read through SQLite only, never ``open()``: closing any other descriptor of a
    database file drops every POSIX lock this process's SQLite connections hold on it (SQLite's
    "posix advisory locks" warning), and a worker's writes then vanish from this process's view.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as err:
        raise StorageError(f"`{path.name}` cannot be read: {err.strerror or err}.") from None
    if path.is_dir():
        raise StorageError(f"`{path.name}` is not a study file (it is a folder).")
    if size == 0:
        if empty_ok or path.with_name(path.name + "-wal").is_file():
            return  # a new WAL database keeps its first pages in the -wal file
        raise StorageError(f"`{path.name}` is not a study file (not a SQLite database).")
    try:
        con = sqlite3.connect(read_uri(path), uri=True)
        try:
            con.execute("PRAGMA schema_version").fetchone()
            tables = [
                name
                for (name,) in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
        finally:
            con.close()
    except sqlite3.DatabaseError:
        raise StorageError(f"`{path.name}` is not a study file (not a SQLite database).") from None
    if tables and "studies" not in tables:  # another program's database: never add to it
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise StorageError(
            f"`{path.name}` is another program's SQLite database (tables {shown}), not a study "
            "file; name a new file or a study file."
        )


ACCEPTED_STORAGES = "sqlite:///FILE, postgresql://..., journal:FILE or memory"


def check_scheme(url: str) -> None:
    """One sentence naming the accepted storages when ``url`` is none of them."""
    if url in ("memory", ":memory:") or url.startswith(("journal:", "sqlite:")):
        return
    scheme = url.split("://", 1)[0].split("+", 1)[0] if "://" in url else ""
    if scheme not in ("postgresql", "postgres"):
        raise StorageError(
            f"{mask_url(url)[:80]} is not a study storage: give {ACCEPTED_STORAGES}."
        )


def require_study_file(url: str | None) -> None:
    """For commands that only read or mark studies (list, stop, keep-best): a SQLite URL or a
    journal file must name a file that exists. Opening one that does not would create an empty
    database (or folders and a file), so a mistyped path would look like a storage without
    studies."""
    url = url or get_storage_url()
    check_scheme(url)
    if url.startswith("journal:"):
        journal = Path(url.removeprefix("journal:").removeprefix("//"))
        if not journal.is_file():
            raise StorageError(f"There is no journal file at {journal}; check the path.")
        return
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise StorageError(
            f"There is no study file at {path}; check the path (study run creates one)."
        )
    if path is not None:
        check_sqlite_file(path)


def read_uri(path: Path) -> str:
    """SQLite's URI for reading ``path`` without writing: ``mode=ro``, plus ``immutable=1`` on a
    read-only filesystem. There a WAL-mode database cannot be opened otherwise (SQLite must
    create its ``-shm`` file beside it), and nothing can change the file while it is read."""
    uri = f"file:{path.resolve()}?mode=ro"
    return uri + "&immutable=1" if _on_read_only_filesystem(path) else uri


def _on_read_only_filesystem(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:  # missing, or no statvfs: opening it will say why
        return False


def is_read_only_url(url: str) -> bool:
    """Whether ``url`` asks for read-only access itself (SQLite's ``mode=ro``)."""
    return url.startswith("sqlite:") and "mode=ro" in url.partition("?")[2].split("&")


def read_only_url(url: str) -> str:
    """A SQLite URL that opens its file with SQLite's ``mode=ro``; other URLs as they are."""
    path = sqlite_path(url)
    if path is None or is_read_only_url(url):
        return url
    return f"sqlite:///{read_uri(path)}&uri=true"


def list_study_files() -> list[str]:
    """Names of the study files (``<name>.db``) in the studies folder: the only ones the app
    offers. ``examples`` first, then ``explorer``, then the rest by name."""
    folder = get_studies_dir()
    names = sorted(p.stem for p in folder.glob("*.db") if p.is_file()) if folder.is_dir() else []
    first = [n for n in ("examples", "explorer") if n in names]
    return first + [n for n in names if n not in first]


_STUDY_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def study_file_url(name: str) -> str:
    """The read-only URL of the study file ``name`` (``examples`` means ``studies/examples.db``).

    Only a bare name is accepted, never a path or a URL: anything with a separator, ``..``, a
    scheme or an odd character is refused with one sentence, as is a name with no such file.
    """
    clean = str(name).strip().removesuffix(".db")
    folder = get_studies_dir()
    if not _STUDY_FILE_NAME.fullmatch(clean):
        shown = mask_url(str(name))[:60]  # a URL pasted in keeps its password to itself
        raise StorageError(
            f"'{shown}' is not a study file name: give only the name of a .db file in "
            f"{folder.name}/, such as examples."
        )
    path = folder / f"{clean}.db"
    if not path.is_file() or path.resolve().parent != folder.resolve():
        raise StorageError(f"There is no study file {clean}.db in {folder.name}/.")
    return read_only_url(f"sqlite:///{path}")


def configured_study_file(url: str | None = None) -> str | None:
    """The bare name of the configured storage (``url``, else the setting) when it is a study
    file in the studies folder; None for any other storage."""
    path = sqlite_path(url or get_storage_url())
    if (
        path is not None
        and path.suffix == ".db"
        and path.resolve().parent == get_studies_dir().resolve()
    ):
        return path.stem
    return None


def storage_choices(url: str | None = None) -> list[str]:
    """What the viewing pages may read: the configured storage first ("" when it is not a study
    file) and every study file in the studies folder, by bare name. Nothing else, whatever a
    link asks for."""
    files = list_study_files()
    configured = configured_study_file(url)
    if configured is None:
        return ["", *files]
    return [configured] + [f for f in files if f != configured]


def viewed_storage_url(chosen: str | None, url: str | None = None) -> str:
    """The storage a viewing page reads when ``chosen`` (a name from :func:`storage_choices`)
    is picked: the configured storage as configured, any other study file read-only. A name
    that is not a choice falls back to the configured storage."""
    configured = url or get_storage_url()
    choices = storage_choices(configured)
    if not chosen or chosen not in choices or chosen == choices[0]:
        return configured
    return study_file_url(chosen)


def why_not_offered(name: str) -> str:
    """One sentence on why ``name`` is not one of :func:`storage_choices`: what
    :func:`study_file_url` refuses in it (a path, ``..``, a URL), else that it is not offered."""
    try:
        study_file_url(name)
    except ExplorerError as err:
        return str(err)
    return f"The study file {name} is not offered here."


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` name psycopg 3, the driver in requirements.txt.

    (SQLAlchemy 2.0 would pick psycopg2 for a bare ``postgresql://``, and knows no ``postgres://``.)
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def mask_url(url: str) -> str:
    """``url`` with its password shown as ``***``: the only form of a URL to print or display."""
    if "://" not in url:
        return url  # journal:path, memory
    try:
        parsed = make_url(url)
    except Exception:  # not a URL SQLAlchemy understands: mask the user:password@ part anyway
        return re.sub(r"(://[^/@:]*):[^@/]*@", r"\1:***@", url)
    if any(k.lower() == "password" for k in parsed.query):
        query = {k: ("***" if k.lower() == "password" else v) for k, v in parsed.query.items()}
        parsed = parsed.set(query=query)
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def scrub_url(text: str, url: str | None) -> str:
    """``text`` with ``url`` masked and its password, should it appear alone, replaced."""
    if not url or "://" not in url:
        return text
    text = text.replace(url, mask_url(url))
    try:
        password = make_url(url).password
    except Exception:
        return text
    if password and len(str(password)) >= 3:  # a 1-2 character password would blot out words
        text = text.replace(str(password), "***")
    return text


def public_name(value: str) -> str:
    """A data source or storage as a visitor of the read-only viewer sees it: a local file or
    folder by its name only (never the host's path), a server URL masked, a Hub id as it is."""
    path = sqlite_path(value)
    if path is not None:
        return path.name
    if "://" in value:
        parsed = mask_url(value)
        return parsed.split("@", 1)[-1] if "@" in parsed else parsed
    if value.startswith("journal:"):
        return Path(value.removeprefix("journal:").removeprefix("//")).name
    local = Path(value).expanduser()
    if local.is_absolute() or local.exists() or value.startswith("."):
        return local.resolve().name
    return value
