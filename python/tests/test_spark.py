"""examples/spark_clean.py on Spark in local mode (local[2]): texts equal
the CLI's, other fields and order kept."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import PAGES, REPO

pytest.importorskip("pyspark")

SCRIPT = REPO / "examples" / "spark_clean.py"


def run_job(*args, timeout=600):
    """Runs the example with `args`, its Spark workers on this Python."""
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"), reason="Spark needs Java")
def test_spark_job_cleans_as_the_cli(tmp_path, cli):
    names = sorted(PAGES) * 3
    records = [
        {"id": i, "name": name, "text": PAGES[name], "meta": {"lang": "en", "score": None}} for i, name in enumerate(names)
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out"
    done = run_job("--master", "local[2]", "--batch-size", "4", "--drop-empty", source, out)
    assert done.returncode == 0, done.stderr[-4000:]

    parts = sorted(out.glob("part-*"))
    assert len(parts) >= 2, parts  # two partitions were cleaned
    got = [json.loads(line) for p in parts for line in p.read_text(encoding="utf-8").splitlines()]
    expected = {name: cli(PAGES[name]) for name in set(names)}
    kept = [r for r in records if expected[r["name"]].strip()]
    assert len(kept) < len(records)  # --drop-empty left some out
    assert [r["id"] for r in got] == [r["id"] for r in kept]
    assert [r["text"] for r in got] == [expected[r["name"]] for r in kept]
    assert all(r["meta"] == {"lang": "en", "score": None} for r in got)


def _example():
    import importlib.util

    spec = importlib.util.spec_from_file_location("spark_clean", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_clean_partition_keeps_empty_texts_and_rejects_bad_records(cli):
    import kzclean

    clean_partition = _example().clean_partition
    cleaner = kzclean.Cleaner()
    lines = [json.dumps({"body": PAGES[n], "n": n}) for n in sorted(PAGES)] + [""]
    got = [json.loads(x) for x in clean_partition(iter(lines), cleaner, "body", False, 5)]
    assert [r["body"] for r in got] == [cli(PAGES[n]) for n in sorted(PAGES)]
    assert [r["n"] for r in got] == sorted(PAGES)
    with pytest.raises(ValueError, match="not a JSON record"):
        list(clean_partition(iter(["{oops"]), cleaner, "text", False, 5))
    with pytest.raises(ValueError, match="without a string field 'text'"):
        list(clean_partition(iter(['{"text": null}']), cleaner, "text", False, 5))


def test_spark_job_refuses_bad_rules_before_starting(tmp_path):
    bad = tmp_path / "bad.rules"
    bad.write_text("drop x nonsense Y\n")
    done = run_job("--rules", bad, "in.jsonl", tmp_path / "out", timeout=120)
    assert done.returncode == 1
    assert f"{bad}:1: rule `x`: unknown scope" in done.stderr


@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"), reason="Spark needs Java")
def test_spark_learn_sites_cleans_as_the_cli_learn_sites(tmp_path, kzclean_bin):
    repeated = "The Harbour Gazette is printed on recycled paper by volunteers of the town"
    records = [
        {
            "id": i,
            "url": f"https://{['a.example.com', 'www.b.co.uk'][i % 2]}/p/{i}",
            "text": f"{repeated}\nStory {i} is about the harbour and the town, with facts of its own.\n",
        }
        for i in range(8)
    ]
    records += [{"id": 100 + i, "text": PAGES[name]} for i, name in enumerate(sorted(PAGES)[:3])]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    cli = subprocess.run(
        [str(kzclean_bin), "--jsonl", "--learn-sites", str(source)], capture_output=True, check=True
    )
    expected = {r["id"]: r["text"] for r in map(json.loads, cli.stdout.decode().splitlines())}
    assert all(repeated not in expected[i] for i in range(8))

    out, saved = tmp_path / "out", tmp_path / "learned.prof"
    done = run_job("--master", "local[2]", "--learn-sites", "--save-profile", saved, source, out)
    assert done.returncode == 0, done.stderr[-4000:]
    got = [json.loads(line) for p in sorted(out.glob("part-*")) for line in p.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in got] == [r["id"] for r in records]
    assert {r["id"]: r["text"] for r in got} == expected
    # Records without a URL have no site on Spark, as on standard input (a
    # named file's folder would be their site).
    learned = subprocess.run(
        [str(kzclean_bin), "learn", "--jsonl"], input=source.read_bytes(), capture_output=True, check=True
    ).stdout
    assert saved.read_bytes() == learned


def test_records_the_cli_takes_are_taken_and_bad_text_is_named(cli):
    import kzclean

    example = _example()
    cleaner = kzclean.Cleaner()
    good = "The minister said the plan would start in May, after a long debate.\n"

    def clean(line, url_field=None):
        return [json.loads(x) for x in example.clean_partition(iter([line]), cleaner, "text", False, 4, url_field)]

    # A UTF-8 byte order mark before a file's first record, as the CLI takes.
    assert clean("\ufeff" + json.dumps({"text": good})) == [{"text": cli(good)}]
    # A lone surrogate in another field is written back as its escape (the
    # part file must be UTF-8); in the URL, it names no site.
    assert clean(json.dumps({"text": good, "title": "cut \ud83d"})) == [{"text": cli(good), "title": "cut \ud83d"}]
    profile = kzclean.SiteProfile()
    profile.add(good, url="https://a.example.com/1")
    with_profile = kzclean.Cleaner(profile=profile)
    line = json.dumps({"text": good, "url": "https://a.example.com/\udc80"})
    got = [json.loads(x) for x in example.clean_partition(iter([line]), with_profile, "text", False, 4, "url")]
    assert [r["text"] for r in got] == [cli(good)]
    # In the text, it is an error naming the record, as the CLI's.
    with pytest.raises(ValueError, match=r"lone surrogate.*cannot be cleaned: '\{\"text\": \"half"):
        clean(json.dumps({"text": "half \ud83d an emoji\n"}))


def test_spark_job_refuses_a_batch_size_below_one(tmp_path):
    done = run_job("--batch-size", "0", "in.jsonl", tmp_path / "out", timeout=120)
    assert done.returncode == 2
    assert "--batch-size must be at least 1" in done.stderr


@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"), reason="Spark needs Java")
def test_a_failed_job_ends_with_its_cause_in_one_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "fine\\n"}\n{oops\n', encoding="utf-8")
    for path, cause in [
        (source, "spark_clean: ValueError: not a JSON record (Expecting property name"),
        (tmp_path / "missing.jsonl", "spark_clean: Input path does not exist: file:"),
    ]:
        done = run_job("--master", "local[1]", path, tmp_path / f"out-{path.name}")
        assert done.returncode == 1
        # Spark logs its stack traces before; the last line says what failed.
        assert done.stderr.rstrip().splitlines()[-1].startswith(cause), done.stderr[-2000:]


@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"), reason="Spark needs Java")
def test_an_existing_output_folder_stops_learn_sites_before_it_learns(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": "fine\n", "url": "https://a.example.com/"}) + "\n", encoding="utf-8")
    out, saved = tmp_path / "out", tmp_path / "sites.prof"
    out.mkdir()
    done = run_job("--master", "local[1]", "--learn-sites", "--save-profile", saved, source, out)
    assert done.returncode == 1
    assert done.stderr.rstrip().splitlines()[-1] == f"spark_clean: {out} already exists; give a new output folder"
    assert not saved.exists()  # the learning pass did not run
