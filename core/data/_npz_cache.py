"""Arrays computed once and kept on disk: word2vec vectors, a teacher's probabilities.

:func:`computed_once` answers from ``path`` when it exists, and otherwise computes under a file
lock, so a second process (another job or study worker) waits for the first instead of computing
the same arrays again. The file is written to a temporary name and renamed: nobody reads half of
it. :func:`content_key` turns what decides the arrays into a short, stable file-name key, and
:func:`tokenizer_key` names a tokenizer by its content for such keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock


def content_key(parts: dict[str, Any], length: int = 20) -> str:
    """A hash of ``parts`` (JSON, keys sorted): the same inputs give the same key."""
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


def rows_hash(texts: Iterable[str], labels: list[int]) -> str:
    """A hash of rows of text and integer labels, the same for the same rows in the same order."""
    h = hashlib.sha256(str(len(labels)).encode())
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    h.update(bytes(str(labels), "ascii"))
    return h.hexdigest()[:16]


def tokenizer_key(tokenizer: Any) -> str:
    """A ``PreTrainedTokenizerFast``'s name and a hash of its whole definition (vocabulary,
    normalizer, rules): what caches of token ids, and of anything computed from them, are keyed
    by. By name alone, two local tokenizer folders of the same name, or a folder whose files
    changed, shared one cache of token ids made by the other."""
    definition = tokenizer.backend_tokenizer.to_str().encode()
    return f"{Path(tokenizer.name_or_path).name}-{hashlib.sha256(definition).hexdigest()[:12]}"


def read_npz(path: Path) -> dict[str, Any]:
    """The arrays of an ``.npz`` file, and its ``meta`` entry (JSON) as a dict."""
    with np.load(path) as f:
        out: dict[str, Any] = {k: f[k] for k in f.files if k != "meta"}
        out["meta"] = json.loads(str(f["meta"])) if "meta" in f.files else {}
    return out


def write_npz_atomic(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Write ``arrays`` and ``meta`` (JSON) to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".npz")
    os.close(fd)
    try:
        np.savez(tmp, **arrays, meta=np.array(json.dumps(meta)))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is for every user
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def computed_once(
    path: Path, compute: Callable[[], tuple[dict[str, np.ndarray], dict[str, Any]]]
) -> tuple[dict[str, Any], bool]:
    """``path``'s arrays (with ``"meta"``), computed by ``compute()`` (arrays, meta) and
    written the first time; and whether this call computed them."""
    if path.exists():
        return read_npz(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if path.exists():  # another process computed them while this one waited
            return read_npz(path), False
        arrays, meta = compute()
        write_npz_atomic(path, arrays, meta)
    return {**arrays, "meta": meta}, True
