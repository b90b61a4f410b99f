"""Reading data files (``.npy``, ``.npz``, ``.csv``) and writing results safely."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["Table", "load_table", "column_indices", "select_columns", "atomic_write_bytes", "atomic_write_text"]

FORMATS = (".npy", ".npz", ".csv")


class Table:
    """A 2-D numeric array with optional column names."""

    def __init__(self, data: np.ndarray, names: list[str] | None = None):
        self.data = data
        self.names = names

    @property
    def n_columns(self) -> int:
        return self.data.shape[1]

    def label(self, index: int) -> str:
        """How to name column ``index`` in a message: its number, and its name where it has one."""
        return f"{index} ({self.names[index]!r})" if self.names else str(index)


def _check_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a data file")
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: unsupported file type {path.suffix!r}; use one of {', '.join(FORMATS)}")
    return path


def load_table(path: str | os.PathLike, *, key: str | None = None) -> Table:
    """Load a table of numbers; never unpickles.

    Args:
        path: A ``.npy`` file (1-D or 2-D array), a ``.npz`` archive (``key``
            names the array; optional when it holds exactly one) or a ``.csv``
            file (comma-separated; a first row that is not numeric is read as
            column names).

    Raises:
        FileNotFoundError, IsADirectoryError: for a bad path.
        ValueError: for an unreadable file, naming the line for CSV.
    """
    path = _check_path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _load_csv(path)
    magic = b"PK" if suffix == ".npz" else b"\x93NUMPY"
    with open(path, "rb") as handle:
        if handle.read(len(magic)) != magic:
            raise ValueError(f"{path}: not a valid {suffix} file (its first bytes are not those of the format)")
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as error:  # numpy, zipfile and zlib raise many types for damaged files
        raise _unreadable(path, suffix, error) from None
    if suffix == ".npz":
        with loaded:
            names = list(loaded.keys())
            if key is None:
                if len(names) != 1:
                    raise ValueError(f"{path} holds arrays {names}; choose one with a key")
                key = names[0]
            if key not in names:
                raise ValueError(f"{path} has no array {key!r}; it holds {names}")
            try:
                array = loaded[key]
            except Exception as error:
                raise _unreadable(path, suffix, error) from None
    else:
        if key is not None:
            raise ValueError(f"{path}: a key applies to .npz archives only")
        array = loaded
    return Table(_as_2d(array, f"{path}" + (f"[{key!r}]" if key else "")))


def _unreadable(path: Path, suffix: str, error: Exception) -> ValueError:
    if "allow_pickle" in str(error):
        return ValueError(f"{path}: holds Python objects, which cannot be read without unpickling (refused)")
    return ValueError(f"{path}: not a valid {suffix} file ({type(error).__name__}: {error})")


def _as_2d(array: np.ndarray, where: str) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{where}: expected numbers, got dtype {array.dtype}")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{where}: expected a 1-D or 2-D array, got shape {array.shape}")
    return array.astype(np.float64, copy=False)


def _load_csv(path: Path) -> Table:
    rows: list[list[float]] = []
    names = None
    width = None
    line_number = 0
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            for line_number, fields in enumerate(csv.reader(handle), start=1):
                names, width = _read_csv_row(path, line_number, fields, rows, names, width)
    except UnicodeDecodeError:
        raise ValueError(f"{path}, line {line_number + 1}: not UTF-8 text") from None
    except csv.Error as error:
        raise ValueError(f"{path}, line {line_number + 1}: {error}") from None
    if not rows:
        raise ValueError(f"{path}: no data rows")
    return Table(np.asarray(rows, dtype=np.float64), names)


def _read_csv_row(path, line_number, fields, rows, names, width):
    """Add one CSV row to ``rows``; returns the (possibly new) header and width."""
    if not fields or all(not f.strip() for f in fields):
        return names, width
    if width is None:
        width = len(fields)
        if names is None and not rows and not all(_is_number(f) for f in fields):
            return [f.strip() for f in fields], width
    if len(fields) != width:
        raise ValueError(f"{path}, line {line_number}: expected {width} fields, found {len(fields)}")
    try:
        rows.append([float(f) for f in fields])
    except ValueError:
        bad = next(f for f in fields if not _is_number(f))
        raise ValueError(f"{path}, line {line_number}: {bad.strip()!r} is not a number") from None
    return names, width


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def select_columns(table: Table, spec: str, flag: str) -> np.ndarray:
    """Columns picked by ``spec``: ``"0,2"``, ``"0:3"`` (end excluded), ``"-1"``, or CSV names.

    Raises:
        ValueError: naming ``flag`` when the spec is malformed or out of range.
    """
    return table.data[:, column_indices(table, spec, flag)]


def column_indices(table: Table, spec: str, flag: str) -> list[int]:
    """The column numbers (from 0, non-negative) that ``spec`` picks; see `select_columns`."""
    indices: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            raise ValueError(f"{flag} {spec!r}: empty column in the list")
        if ":" in part:
            start, _, stop = part.partition(":")
            try:
                span = range(table.n_columns)[slice(int(start) if start else None, int(stop) if stop else None)]
            except ValueError:
                raise ValueError(f"{flag} {spec!r}: {part!r} is not a range like 0:3") from None
            if not span:
                raise ValueError(f"{flag} {spec!r}: the range {part!r} selects no column")
            indices.extend(span)
        elif _is_int(part):
            index = int(part)
            if not -table.n_columns <= index < table.n_columns:
                raise ValueError(f"{flag} {spec!r}: column {index} is out of range for {table.n_columns} columns")
            indices.append(index % table.n_columns)
        elif table.names is not None and part in table.names:
            indices.append(table.names.index(part))
        else:
            known = f"; columns are {table.names}" if table.names else ""
            raise ValueError(f"{flag} {spec!r}: no column {part!r}{known}")
    return indices


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write through a temporary file in the same folder and rename it into place."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))
