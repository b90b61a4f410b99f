"""MkDocs hooks: the benchmark page's tables are computed from the committed records at build time.

A line ``<!-- records: TABLE FOLDER [FOLDER ...] -->`` in a page becomes TABLE (``estimators``, per
estimator over the tasks; ``levels``, MAE at each true MI; ``tasks``, task by task) computed by
`fmmi.benchmark.report` from the ``runs.jsonl`` of the folders (relative to the repository root), so
that the page shows exactly what the records hold.
"""

from __future__ import annotations

import re
from pathlib import Path

from fmmi.benchmark.report import estimator_table, level_table, side_by_side, summarise
from fmmi.benchmark.runner import load_records

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!-- records: (\w+) (.+?) -->$", re.MULTILINE)


def _table(kind: str, folders: str) -> str:
    records = []
    for folder in folders.split():
        found = load_records(ROOT / folder)
        if not found:
            raise ValueError(f"docs: no records in {folder}")
        records += found
    if kind == "estimators":
        return estimator_table(summarise(records))
    if kind == "levels":
        return level_table(records)
    if kind == "tasks":
        return side_by_side(summarise(records))
    raise ValueError(f"docs: unknown table {kind!r}")


def on_page_markdown(markdown: str, page, config, files) -> str:
    return MARKER.sub(lambda match: _table(match.group(1), match.group(2)), markdown)
