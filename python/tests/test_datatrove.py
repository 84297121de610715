"""kzclean.datatrove.KzcleanFilter in a real datatrove pipeline:
JsonlReader -> KzcleanFilter -> JsonlWriter on LocalPipelineExecutor."""

import gzip
import json
import subprocess
import sys

import pytest

from conftest import PAGES

pytest.importorskip("datatrove")

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from kzclean.datatrove import KzcleanFilter  # noqa: E402

EMPTIED = "Skip to content\nHome\nMenu\nSearch\nLog in\nPrivacy policy\n"


def _write_inputs(folder):
    """Two files, so that two tasks each read one; ids name the pages."""
    folder.mkdir()
    names = sorted(PAGES)
    records = [{"id": name, "text": PAGES[name], "url": f"https://example.com/{i}"} for i, name in enumerate(names)]
    records.append({"id": "emptied", "text": EMPTIED, "url": "https://example.com/menu"})
    for part, chunk in enumerate((records[::2], records[1::2])):
        with open(folder / f"part{part}.jsonl", "w", encoding="utf-8") as f:
            for r in chunk:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return records


def _read_outputs(folder):
    out = {}
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                out[r["id"]] = r
    return out


def test_pipeline_cleans_as_the_cli_and_drops_emptied_documents(tmp_path, cli):
    records = _write_inputs(tmp_path / "in")
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(tmp_path / "in")),
            KzcleanFilter(batch_size=3, exclusion_writer=JsonlWriter(str(tmp_path / "dropped"))),
            JsonlWriter(str(tmp_path / "out")),
        ],
        tasks=2,
        workers=2,  # separate processes: the step is pickled to them
        logging_dir=str(tmp_path / "logs"),
    )
    executor.run()

    out = _read_outputs(tmp_path / "out")
    expected = {r["id"]: cli(r["text"]) for r in records}
    assert {k: r["text"] for k, r in out.items()} == {k: v for k, v in expected.items() if v.strip()}
    assert out["001_add66ed8810ae1d3.txt"]["metadata"]["url"] == "https://example.com/1"

    # datatrove's reader skips the empty text; the step drops what it empties,
    # and the exclusion writer gets those documents as they came.
    originals = {r["id"]: r["text"] for r in records}
    emptied = {k for k, v in expected.items() if not v.strip() and originals[k]}
    assert {"emptied", "boilerplate-only", "blank-lines"} <= emptied
    dropped = _read_outputs(tmp_path / "dropped")
    assert {k: r["text"] for k, r in dropped.items()} == {k: originals[k] for k in emptied}
    assert {r["metadata"]["filter_reason"] for r in dropped.values()} == {"empty"}

    stats = json.loads((tmp_path / "logs" / "stats.json").read_text())
    step = next(s for s in stats if "kzclean" in s["name"])["stats"]
    assert step["dropped_empty"] == len(emptied)
    removed = sum(len(r["text"].encode()) - len(expected[r["id"]].encode()) for r in records if r["text"])
    assert step["bytes_removed"]["total"] == removed
    lines = sum(len(r["text"].splitlines()) - len(expected[r["id"]].splitlines()) for r in records)
    assert step["lines_removed"]["total"] == lines > 0


def test_keep_empty_and_settings(tmp_path, cli):
    from datatrove.data import Document

    step = KzcleanFilter(drop_empty=False, preset="recall", classifier=False, threads=None)
    docs = [Document(text=PAGES[name], id=name) for name in sorted(PAGES)]
    docs.append(Document(text=EMPTIED, id="emptied"))
    out = list(step.run(iter(docs)))
    assert [d.id for d in out] == [d.id for d in docs]
    assert out[-1].text == ""
    assert [d.text for d in out[:-1]] == [cli(PAGES[name], "--recall", "--no-classifier") for name in sorted(PAGES)]


def test_a_profile_drops_each_site_s_repeated_lines_by_the_document_url():
    from datatrove.data import Document

    from kzclean import Cleaner, SiteProfile

    repeated = "The Harbour Gazette is printed on recycled paper by volunteers of the town"
    docs = [
        Document(
            text=f"{repeated}\nStory {i} is about the harbour and the town, with facts of its own.\n",
            id=str(i),
            metadata={"link": f"https://news{i % 2}.example.org/{i}"},
        )
        for i in range(4)
    ]
    docs.append(Document(text=docs[0].text, id="no-url"))
    profile = SiteProfile()
    for d in docs[:4]:
        profile.add(d.text, url=d.metadata["link"])
    step = KzcleanFilter(profile=profile, url_key="link", threads=1)
    originals = [d.text for d in docs]
    out = list(step.run(iter(docs)))
    cleaner = Cleaner(profile=profile)
    assert [d.text for d in out[:4]] == [cleaner.clean(t, url=d.metadata["link"]) for t, d in zip(originals, out[:4])]
    assert all(repeated not in d.text for d in out[:4])
    # Without a URL the page is cleaned as without a profile.
    assert out[4].text == Cleaner().clean(originals[4])


def test_bad_rules_fail_when_the_pipeline_is_built():
    with pytest.raises(ValueError, match="<rules>:1:"):
        KzcleanFilter(rules="drop x nonsense Y\n")
    for bad in (0, 1025):
        with pytest.raises(ValueError, match="threads must be from 1 to 1024"):
            KzcleanFilter(threads=bad)


def test_importing_kzclean_does_not_import_datatrove():
    code = "import sys, kzclean; kzclean.Cleaner().clean('x'); print('datatrove' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"batch_size": 2.5}, TypeError, "batch_size must be a whole number"),
        ({"batch_size": "10"}, TypeError, "batch_size must be a whole number"),
        ({"threads": 2.0}, TypeError, "threads must be a whole number"),
        ({"threads": "2"}, TypeError, "threads must be a whole number"),
        ({"drop_empty": "no"}, TypeError, "drop_empty must be True or False"),
        ({"url_key": 5}, TypeError, "url_key must be a str"),
        ({"exclusion_writer": "dropped/"}, TypeError, "exclusion_writer must be a datatrove writer"),
    ],
)
def test_bad_options_fail_when_the_step_is_built_naming_the_option(options, error, message):
    # Before, each of these was taken and failed (or silently did the wrong
    # thing) only when a worker ran the step.
    with pytest.raises(error, match=message):
        KzcleanFilter(**options)


def test_a_document_that_is_not_text_is_named_in_the_error():
    from datatrove.data import Document

    step = KzcleanFilter()
    good = "The minister said the plan would start in May, after a long debate.\n"
    for text, error, message in [
        (None, TypeError, "document 'bad': text must be a str, not NoneType"),
        (b"bytes\n", TypeError, "document 'bad': text must be a str, not bytes"),
        ("half \ud83d an emoji\n", ValueError, r"document 'bad': text has a lone surrogate '\\ud83d' at character 5"),
    ]:
        docs = [Document(text=good, id="good"), Document(text=text, id="bad")]
        with pytest.raises(error, match=message):
            list(step.run(iter(docs)))


def test_a_url_that_is_not_text_cleans_the_document_without_its_site():
    from datatrove.data import Document

    from kzclean import Cleaner, SiteProfile

    text = "The Harbour Gazette is printed on recycled paper by volunteers.\nStory one.\n"
    profile = SiteProfile()
    profile.add(text, url="https://a.example.com/1")
    urls = [5, None, "", "not a url", "https://a.example.com/\udc80"]
    docs = [Document(text=text, id=str(i), metadata={"url": u}) for i, u in enumerate(urls)]
    out = list(KzcleanFilter(profile=profile, drop_empty=False).run(iter(docs)))
    assert [d.text for d in out] == [Cleaner().clean(text)] * len(urls)
