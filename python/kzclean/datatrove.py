"""A datatrove pipeline step that cleans ``doc.text`` with kzclean.

Needs datatrove (``pip install kzclean[datatrove]``); ``import kzclean`` alone
never imports it.

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from kzclean.datatrove import KzcleanFilter

    LocalPipelineExecutor(
        pipeline=[JsonlReader("in/"), KzcleanFilter(), JsonlWriter("out/")],
        tasks=4,
    ).run()
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from . import Cleaner

__all__ = ["KzcleanFilter"]

RuleItem = Union[str, bytes, "os.PathLike[str]"]


def _line_count(text: str) -> int:
    """Lines as kzclean counts them: a last line without its newline counts."""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


class KzcleanFilter(BaseFilter):
    """Replaces each document's text by kzclean's cleaned text.

    Documents are cleaned ``batch_size`` at a time with
    :meth:`kzclean.Cleaner.clean_many`. A document left with no non-blank
    line is dropped (reason ``empty``) when ``drop_empty`` is true; it keeps
    its original text, so an ``exclusion_writer`` shows what was dropped.

    Per-document stats, under this step: ``lines_removed`` and
    ``bytes_removed`` (UTF-8 bytes), besides datatrove's own counts.

    Args:
        rules, preset, classifier: as for :class:`kzclean.Cleaner`. Rules are
            compiled here, so bad rules fail when the pipeline is built, not
            in its workers.
        drop_empty: drop documents that cleaning leaves empty.
        batch_size: documents per ``clean_many`` call.
        threads: Rust threads per task. The default, 1, suits executors that
            already run one task per core; raise it when tasks are fewer than
            cores (None: one per core).
        exclusion_writer: optional writer for the dropped documents.
    """

    name = "🧹 kzclean"

    def __init__(
        self,
        rules: Optional[Union[RuleItem, Sequence[RuleItem]]] = None,
        preset: Optional[str] = None,
        classifier: bool = True,
        drop_empty: bool = True,
        batch_size: int = 256,
        threads: Optional[int] = 1,
        exclusion_writer: Optional[DiskWriter] = None,
    ):
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        if threads is not None and threads < 1:
            raise ValueError("threads must be at least 1, or None for one per core")
        self.cleaner = Cleaner(rules=rules, preset=preset, classifier=classifier)
        self.drop_empty = drop_empty
        self.threads = threads

    def filter(self, doc: Document) -> Union[bool, tuple]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list) -> list:
        cleaned = self.cleaner.clean_many([doc.text for doc in batch], threads=self.threads)
        results = []
        for doc, text in zip(batch, cleaned):
            original = doc.text
            self.stat_update("lines_removed", value=_line_count(original) - _line_count(text))
            self.stat_update("bytes_removed", value=len(original.encode()) - len(text.encode()))
            if self.drop_empty and not text.strip():
                results.append((False, "empty"))
                continue
            doc.text = text
            results.append(True)
        return results
