"""The one reader of a labelled corpus, shared by the tools in this folder.

A corpus is a folder of datasets (the dev corpus is `../shared/corpus`, read
in place and never copied into this repository):

    DATASET/<id>.txt        the page dump, one block of the page per line
    DATASET/<id>.labels     one 0/1 per line of <id>.txt (1 = article text)
    DATASET/<id>.gold.txt   the gold article text
    DATASET/manifest.tsv    id, page_type, ..., url (where present)

A tool imports this module by putting its parent folder on sys.path:

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from corpus import add_corpus_argument, list_pages

Standard library only, so that the tools which need nothing else stay so.
"""
from __future__ import annotations

import argparse
import dataclasses
import pathlib
import subprocess
from urllib.parse import urlparse

# Relative, so that no absolute path is written into the repository: the docs
# run the tools from the repository root, beside which the corpus lives.
DEFAULT_CORPUS = "../shared/corpus"


@dataclasses.dataclass(frozen=True)
class Page:
    ds: str  # the dataset: the folder the page is in
    id: str  # the file name without `.txt`
    base: pathlib.Path  # the path without extension: base + ".txt", ".labels", ".gold.txt"
    ptype: str  # the manifest's page type, or the dataset's name when it has none
    url: str  # the manifest's url, or ""
    domain: str  # the url's host without `www.`, or DATASET:ID when there is no url

    @property
    def txt(self) -> pathlib.Path:
        return self.base.with_name(self.id + ".txt")

    @property
    def labels(self) -> pathlib.Path:
        return self.base.with_name(self.id + ".labels")

    @property
    def gold(self) -> pathlib.Path:
        return self.base.with_name(self.id + ".gold.txt")


def add_corpus_argument(ap: argparse.ArgumentParser) -> None:
    """Adds --corpus, the same way for every tool."""
    ap.add_argument("--corpus", type=pathlib.Path, default=pathlib.Path(DEFAULT_CORPUS),
                    help=f"the labelled corpus: DATASET/<id>.txt, .labels, .gold.txt (default: {DEFAULT_CORPUS})")


def is_input(path: pathlib.Path) -> bool:
    """A page dump, as opposed to its gold text, labels or a dataset's metadata."""
    return path.suffix == ".txt" and not path.name.endswith(".gold.txt")


def read_manifest(dataset: pathlib.Path) -> dict[str, dict[str, str]]:
    """The dataset's manifest.tsv as {id: {column: value}}; {} when it has none."""
    manifest = dataset / "manifest.tsv"
    if not manifest.exists():
        return {}
    rows = {}
    with open(manifest, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(head, line.rstrip("\n").split("\t")))
            rows[row["id"]] = row
    return rows


def list_pages(corpus: pathlib.Path | str) -> list[Page]:
    """Every labelled page, by dataset and then file name (the order the
    tools join pages into one stream in, so their rows line up)."""
    corpus = pathlib.Path(corpus)
    if not corpus.is_dir():
        raise SystemExit(f"no corpus at {corpus} (give --corpus)")
    pages = []
    for dataset in sorted(p for p in corpus.iterdir() if p.is_dir()):
        meta = read_manifest(dataset)
        for path in sorted(p for p in dataset.iterdir() if is_input(p)):
            pid = path.name[: -len(".txt")]
            if not (dataset / (pid + ".labels")).exists():
                continue  # an unlabelled page cannot be scored or trained on
            m = meta.get(pid, {})
            url = m.get("url", "")
            host = urlparse(url).netloc.lower().removeprefix("www.")
            pages.append(Page(ds=dataset.name, id=pid, base=dataset / pid, ptype=m.get("page_type") or dataset.name,
                              url=url, domain=host or f"{dataset.name}:{pid}"))
    return pages


def load_labels(page: Page) -> list[int]:
    """One 0/1 per line of the page's dump (1 = article text)."""
    return [int(x) for x in page.labels.read_text().split()]


def clean_as_one_stream(binary: str, dumps: list[pathlib.Path], args: list[str]) -> list[bytes]:
    """Cleans the page dumps with one kzclean process, as one stream of
    form-feed-separated documents (the same verdicts as cleaning each page
    alone: documents are cleaned apart), and returns each page's output.
    Raises RuntimeError if kzclean fails or the documents out do not match
    the pages in."""
    stream = b"\x0c\n".join(p.read_bytes() for p in dumps)
    done = subprocess.run([binary, *args], input=stream, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace"))
    parts: list[list[bytes]] = [[]]
    for line in done.stdout.split(b"\n"):
        if line in (b"\x0c", b"\x0c\r"):
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) != len(dumps):
        raise RuntimeError(f"{len(parts)} documents out for {len(dumps)} pages")
    return [b"\n".join(lines) for lines in parts]
