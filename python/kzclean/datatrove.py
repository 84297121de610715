"""A datatrove pipeline step that cleans ``doc.text`` with kzclean.

Needs datatrove (``pip install "kzclean[datatrove]"``, which also brings
orjson for datatrove's JSONL reader and writer); ``import kzclean`` alone
never imports it.

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from kzclean.datatrove import KzcleanFilter

    if __name__ == "__main__":  # workers start a Python that imports this file
        LocalPipelineExecutor(
            pipeline=[JsonlReader("in/"), KzcleanFilter(), JsonlWriter("out/")],
            tasks=4,
        ).run()
"""

from __future__ import annotations

import contextlib
import numbers
import os
from itertools import islice
from typing import Iterable, Iterator, List, Optional, Sequence, Union

# PipelineStep, not BaseFilter: importing datatrove.pipeline.filters pulls in
# every built-in filter and their optional dependencies (regex, nltk, ...).
# The step behaves as a BaseFilter does: same stats, exclusion writer,
# dropped-reason metadata.
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from . import Cleaner

__all__ = ["KzcleanFilter"]

RuleItem = Union[str, bytes, "os.PathLike[str]"]


def _line_count(text: str) -> int:
    """Lines as kzclean counts them: a last line without its newline counts."""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _batches(docs: Iterable[Document], size: int) -> Iterator[List[Document]]:
    it = iter(docs)
    while batch := list(islice(it, size)):
        yield batch


def _url(doc: Document, key: str) -> Optional[str]:
    url = doc.metadata.get(key) if doc.metadata else None
    # A URL that is not a string, or not text (a lone surrogate), names no
    # site: the page is cleaned without the profile, as the CLI does.
    return url if isinstance(url, str) and _is_text(url) else None


def _is_text(s: str) -> bool:
    """False for a str holding lone surrogates, which UTF-8 cannot encode."""
    if s.isascii():
        return True
    try:
        s.encode()
    except UnicodeEncodeError:
        return False
    return True


def _whole_number(name: str, value, allow_none: bool = False) -> None:
    # numbers.Integral takes numpy's integers too; bool is one, but no count.
    if (value is None and allow_none) or (isinstance(value, numbers.Integral) and not isinstance(value, bool)):
        return
    either = ", or None" if allow_none else ""
    raise TypeError(f"{name} must be a whole number{either}, not {value!r}")


def _text_error(batch: List[Document]) -> Optional[Exception]:
    """Names the first document of a batch whose text kzclean cannot take,
    after clean_many refused the batch without saying which."""
    for doc in batch:
        if not isinstance(doc.text, str):
            return TypeError(f"document {doc.id!r}: text must be a str, not {type(doc.text).__name__}")
        try:
            doc.text.encode()
        except UnicodeEncodeError as e:
            return ValueError(
                f"document {doc.id!r}: text has a lone surrogate {e.object[e.start]!r} at character {e.start}, "
                "half a UTF-16 character that is not text and cannot be cleaned; repair it where the text "
                "is decoded (e.g. errors='replace'), or drop the document before this step"
            )
    return None


class KzcleanFilter(PipelineStep):
    """Replaces each document's text by kzclean's cleaned text.

    Documents are cleaned ``batch_size`` at a time with
    :meth:`kzclean.Cleaner.clean_many`, so the text is the CLI's
    (``kzclean < page.txt``). A document left with no non-blank line is
    dropped (reason ``empty``) when ``drop_empty`` is true; it keeps its
    original text, so an ``exclusion_writer`` shows what was dropped.

    Stats, under this step: datatrove's ``total``, ``forwarded``, ``dropped``,
    ``dropped_empty`` and ``doc_len`` (of the cleaned text), and per document
    ``lines_removed`` and ``bytes_removed`` (UTF-8 bytes).

    Args:
        rules, preset, classifier: as for :class:`kzclean.Cleaner`. The rules
            are compiled here, so bad rules fail when the pipeline is built,
            not in its workers; workers get the rule text, not a path.
        profile, profile_min_pages, profile_min_share: a site profile
            (:class:`kzclean.SiteProfile`, or a ``kzclean learn`` file's path
            or bytes), as for :class:`kzclean.Cleaner`; each document's site
            is the registered domain of ``doc.metadata[url_key]``.
        url_key: the metadata key holding the page's URL (default ``url``,
            as datatrove's WARC and Common Crawl readers set it).
        drop_empty: drop documents that cleaning leaves empty.
        batch_size: documents per ``clean_many`` call.
        threads: Rust threads per task. The default, 1, suits executors that
            run one task per core already; raise it when there are fewer
            tasks than cores (None: one per core).
        exclusion_writer: optional writer (e.g. ``JsonlWriter``) for the
            dropped documents, with ``metadata["filter_reason"] = "empty"``.
    """

    name = "🧹 kzclean"
    type = "🔻 - FILTER"

    def __init__(
        self,
        rules: Optional[Union[RuleItem, Sequence[RuleItem]]] = None,
        preset: Optional[str] = None,
        classifier: bool = True,
        profile=None,
        profile_min_pages: int = 1,
        profile_min_share: float = 0.7,
        url_key: str = "url",
        drop_empty: bool = True,
        batch_size: int = 256,
        threads: Optional[int] = 1,
        exclusion_writer=None,
    ):
        super().__init__()
        # Checked here: a wrong type would otherwise fail, or silently do the
        # wrong thing, only once a worker runs the step.
        _whole_number("batch_size", batch_size)
        _whole_number("threads", threads, allow_none=True)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if threads is not None and not 1 <= threads <= 1024:
            raise ValueError(f"threads must be from 1 to 1024, or None for one per core, not {threads}")
        if not isinstance(drop_empty, bool):
            raise TypeError(f"drop_empty must be True or False, not {drop_empty!r}")
        if not isinstance(url_key, str):
            raise TypeError(f"url_key must be a str (a metadata key), not {url_key!r}")
        if exclusion_writer is not None and not (
            hasattr(exclusion_writer, "write") and hasattr(exclusion_writer, "__enter__")
        ):
            raise TypeError(
                f"exclusion_writer must be a datatrove writer (e.g. JsonlWriter('dropped/')) or None, "
                f"not {exclusion_writer!r}"
            )
        self.cleaner = Cleaner(
            rules=rules,
            preset=preset,
            classifier=classifier,
            profile=profile,
            profile_min_pages=profile_min_pages,
            profile_min_share=profile_min_share,
        )
        self.url_key = url_key
        self.with_urls = profile is not None
        self.drop_empty = drop_empty
        self.batch_size = batch_size
        self.threads = threads
        self.exclusion_writer = exclusion_writer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data is None:
            return
        writer_context = self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext()
        with writer_context as writer:
            for batch in _batches(data, self.batch_size):
                with self.track_time("batch"):
                    urls = [_url(doc, self.url_key) for doc in batch] if self.with_urls else None
                    try:
                        cleaned = self.cleaner.clean_many([doc.text for doc in batch], threads=self.threads, urls=urls)
                    except (TypeError, UnicodeEncodeError) as e:
                        # clean_many does not say which document it refused.
                        named = _text_error(batch)
                        if named is None:
                            raise
                        raise named from e
                for doc, text in zip(batch, cleaned):
                    self.stat_update("total")
                    self.stat_update("lines_removed", value=_line_count(doc.text) - _line_count(text))
                    self.stat_update("bytes_removed", value=len(doc.text.encode()) - len(text.encode()))
                    if self.drop_empty and not text.strip():
                        self.stat_update("dropped", "dropped_empty")
                        if writer is not None:
                            doc.metadata["filter_reason"] = "empty"
                            writer.write(doc, rank)
                        continue
                    doc.text = text
                    self.stat_update("forwarded")
                    self.update_doc_stats(doc)
                    yield doc
