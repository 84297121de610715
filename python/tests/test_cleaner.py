"""kzclean.Cleaner against the CLI it binds: same text out, same verdicts."""

import os
import pathlib
import pickle
import threading

import pytest

import kzclean
from conftest import PAGES

SETTINGS = [
    ({}, []),
    ({"preset": "precision"}, ["--precision"]),
    ({"preset": "recall"}, ["--recall"]),
    ({"classifier": False}, ["--no-classifier"]),
    ({"preset": "recall", "classifier": False}, ["--recall", "--no-classifier"]),
    ({"preset": "fast"}, ["--fast"]),
]

RULES = """\
# one of each kind of line a user adds
drop test-bylines prefix words<=12 By | Reporting by
keep test-keep-quote regex ^"
set cut-min-words-before 30
"""


@pytest.mark.parametrize("kwargs,flags", SETTINGS, ids=lambda x: str(x))
def test_clean_equals_cli(page, cli, kwargs, flags):
    _, text = page
    assert kzclean.Cleaner(**kwargs).clean(text) == cli(text, *flags)


def test_explain_equals_cli(page, cli):
    _, text = page
    rows = kzclean.Cleaner().explain(text)
    expected = []
    for row in cli(text, "--explain").splitlines():
        verdict, reason, line = row.split("\t", 2)
        expected.append((verdict == "keep", reason, line))
    assert rows == expected
    assert all(isinstance(k, bool) for k, _, _ in rows)


@pytest.mark.parametrize("kwargs,flags", SETTINGS[1:], ids=lambda x: str(x))
def test_explain_with_settings_equals_cli(cli, kwargs, flags):
    text = PAGES["000_354eded8d34aa39f.txt"]
    rows = kzclean.Cleaner(**kwargs).explain(text)
    assert ["\t".join(("keep" if k else "drop", r, l)) for k, r, l in rows] == cli(
        text, "--explain", *flags
    ).splitlines()


def test_explain_agrees_with_clean(page):
    _, text = page
    cleaner = kzclean.Cleaner()
    kept = [line for keep, _, line in cleaner.explain(text) if keep]
    assert kept == cleaner.clean(text).splitlines()


def test_clean_many_equals_clean_in_order():
    cleaner = kzclean.Cleaner()
    texts = [PAGES[name] for name in sorted(PAGES)] * 7
    expected = [cleaner.clean(t) for t in texts]
    for threads in (None, 1, 2, 3):
        assert cleaner.clean_many(texts, threads=threads) == expected
    assert cleaner.clean_many([]) == []
    assert cleaner.clean_many(tuple(texts[:3])) == expected[:3]


def test_clean_many_rejects_bad_arguments():
    cleaner = kzclean.Cleaner()
    for bad in (0, -1, 1025, 10**9):
        with pytest.raises(ValueError, match="threads must be from 1 to 1024"):
            cleaner.clean_many(["a", "b"], threads=bad)
    with pytest.raises(TypeError):
        cleaner.clean_many("one string, not a list")
    with pytest.raises(TypeError):
        cleaner.clean_many([b"bytes"])


def test_rules_text_path_and_pathlike_equal_cli(tmp_path, cli):
    rule_file = tmp_path / "site.rules"
    rule_file.write_text(RULES)
    text = "By Jane Doe\n\"A quote kept by the rule.\"\n" + PAGES["001_add66ed8810ae1d3.txt"]
    expected = cli(text, "--rules", str(rule_file))
    for rules in (RULES, RULES.encode(), str(rule_file), rule_file, [RULES], (str(rule_file),)):
        assert kzclean.Cleaner(rules=rules).clean(text) == expected, rules
    explained = dict((line, reason) for _, reason, line in kzclean.Cleaner(rules=rule_file).explain(text))
    assert explained["By Jane Doe"] == "test-bylines"
    assert "test-bylines" in kzclean.Cleaner(rules=RULES).rule_ids


def test_several_rule_sources_apply_in_order(tmp_path, cli):
    (tmp_path / "a.rules").write_text("drop test-a line Alpha line\n")
    (tmp_path / "b.rules").write_text("disable test-a\n")
    text = "Alpha line\nThe minister said the plan would start in May, after a long debate.\n"
    expected = cli(text, "--rules", str(tmp_path / "a.rules"), "--rules", str(tmp_path / "b.rules"))
    assert kzclean.Cleaner(rules=[tmp_path / "a.rules", tmp_path / "b.rules"]).clean(text) == expected


def test_bad_rules_raise_value_error_naming_the_line(tmp_path):
    bad = "drop ok-rule line Fine\n\ndrop broken nonsense Foo\n"
    with pytest.raises(ValueError, match=r"^<rules>:3: rule `broken`: unknown scope"):
        kzclean.Cleaner(rules=bad)
    path = tmp_path / "bad.rules"
    path.write_text(bad)
    with pytest.raises(ValueError, match=rf"^{path}:3: "):
        kzclean.Cleaner(rules=path)
    with pytest.raises(ValueError, match=rf"^{path}:3: "):
        kzclean.Cleaner(rules=str(path))
    # Every problem is listed, one a line, as the CLI does.
    with pytest.raises(ValueError) as err:
        kzclean.Cleaner(rules="drop a nonsense X\ndrop b nonsense Y\n")
    assert str(err.value).splitlines()[:2] == [
        "<rules>:1: rule `a`: unknown scope `nonsense`; expected line, prefix, contains or regex",
        "<rules>:2: rule `b`: unknown scope `nonsense`; expected line, prefix, contains or regex",
    ]


def test_a_mistyped_path_says_it_was_read_as_text():
    with pytest.raises(ValueError, match="read as rule text, since no file of that name exists"):
        kzclean.Cleaner(rules="no/such/site.rules")


def test_unreadable_rule_files_raise_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot read rule file"):
        kzclean.Cleaner(rules=tmp_path / "missing.rules")
    with pytest.raises(IsADirectoryError):
        kzclean.Cleaner(rules=pathlib.PurePath(tmp_path))
    # A str naming a directory is that directory, not rule text.
    with pytest.raises(IsADirectoryError):
        kzclean.Cleaner(rules=str(tmp_path))


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="preset must be None, 'precision', 'recall' or 'fast', not 'quick'"):
        kzclean.Cleaner(preset="quick")
    with pytest.raises(ValueError, match="preset 'fast' needs the classifier"):
        kzclean.Cleaner(preset="fast", classifier=False)
    with pytest.raises(TypeError, match="rules must be"):
        kzclean.Cleaner(rules=42)
    with pytest.raises(TypeError):
        kzclean.Cleaner().clean(b"bytes")


def test_fast_names_the_rules_it_does_not_apply():
    rules = "drop zebra contains zebrafish\ndrop menu-head prefix Menu:\n"
    with pytest.warns(UserWarning, match=r"ignores 1 of your rules(.|\n)*<rules>:1: rule `zebra`") as caught:
        cleaner = kzclean.Cleaner(rules=rules, preset="fast")
    assert "menu-head" not in str(caught[0].message)
    assert caught[0].filename == __file__  # points at the Cleaner(...) call
    # The warning is true: under "fast" the rule never decides a line.
    reasons = [reason for _, reason, _ in cleaner.explain("Menu: home\nzebrafish\n")]
    assert reasons[0] == "menu-head" and reasons[1] != "zebra", reasons
    assert kzclean.Cleaner(rules=rules).explain("zebrafish\n")[0][1] == "zebra"
    # Anchored rules only, or the built-in rules: no warning.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kzclean.Cleaner(rules="drop menu-head prefix Menu:\n", preset="fast")
        kzclean.Cleaner(preset="fast")
        pickle.loads(pickle.dumps(cleaner))


@pytest.mark.parametrize(
    "kwargs", [{}, {"preset": "precision", "classifier": False}, {"rules": RULES, "preset": "recall"}]
)
def test_pickle_round_trips(kwargs):
    cleaner = kzclean.Cleaner(**kwargs)
    again = pickle.loads(pickle.dumps(cleaner))
    assert repr(again) == repr(cleaner)
    assert (again.preset, again.classifier, again.rule_ids) == (cleaner.preset, cleaner.classifier, cleaner.rule_ids)
    texts = list(PAGES.values())
    assert again.clean_many(texts) == cleaner.clean_many(texts)


def test_pickle_carries_the_rule_text_not_the_path(tmp_path):
    path = tmp_path / "site.rules"
    path.write_text(RULES)
    blob = pickle.dumps(kzclean.Cleaner(rules=path))
    os.remove(path)
    again = pickle.loads(blob)
    assert "test-bylines" in again.rule_ids
    assert repr(again) == f"kzclean.Cleaner(rules={str(path)!r}, preset=None, classifier=True)".replace("'", '"')


def test_threads_share_one_cleaner():
    cleaner = kzclean.Cleaner()
    texts = list(PAGES.values())
    expected = [cleaner.clean(t) for t in texts]
    expected_rows = [cleaner.explain(t) for t in texts]
    failures = []

    def work(i):
        try:
            for _ in range(5):
                assert [cleaner.clean(t) for t in texts] == expected
                assert cleaner.clean_many(texts, threads=2) == expected
                assert [cleaner.explain(t) for t in texts] == expected_rows
        except Exception as e:  # reported below, with the thread's number
            failures.append((i, e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def _clean_in_child(cleaner, texts, queue):
    queue.put([cleaner.clean_many(texts, threads=n) for n in (None, 1, 2)])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_clean_many_works_in_a_child_forked_after_use():
    """Thread pools made before a fork have no threads in the child: it must
    make its own instead of waiting for them forever."""
    import multiprocessing

    cleaner = kzclean.Cleaner()
    texts = list(PAGES.values())
    expected = cleaner.clean_many(texts, threads=2)
    assert cleaner.clean_many(texts) == expected  # every pool exists now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_clean_in_child, args=(cleaner, texts, queue))
    child.start()
    try:
        got = queue.get(timeout=60)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    assert got == [expected] * 3


def test_a_form_feed_line_is_an_ordinary_line(cli):
    """One string is one document. The CLI cuts its input at form-feed lines;
    splitting at them first (the recipe in docs/pipelines.md) gives its output."""
    import re

    pages = [PAGES[name].rstrip("\n") + "\n" for name in ("000_354eded8d34aa39f.txt", "003_535855459afef6fb.txt")]
    pages.append("Home\n")
    joined = "\f\n".join(pages[:2]) + "\f\r\n" + pages[2] + "\f"
    cleaner = kzclean.Cleaner()
    parts = re.split(r"(?m)^(\f\r?(?:\n|\Z))", joined)
    parts[::2] = cleaner.clean_many(parts[::2])
    assert "".join(parts) == cli(joined)
    rows = cleaner.explain(joined)
    assert [line for _, _, line in rows].count("\f") == 3
    assert "separator" not in [reason for _, reason, _ in rows]


def test_repr_and_properties():
    cleaner = kzclean.Cleaner(preset="recall", classifier=False)
    assert repr(cleaner) == 'kzclean.Cleaner(rules=None, preset="recall", classifier=False)'
    assert cleaner.preset == "recall" and cleaner.classifier is False
    assert "skip-link" in cleaner.rule_ids
    assert kzclean.__version__


WRAPPED = (
    "Home\nAbout\n"
    "The minister said on Tuesday that the new plan for the harbour would\r\n"
    "start in May, after a long debate in the council about its cost and the\n"
    "benefits for the fishermen of the town and their families in the\n"
    "village.\n\n"
    "Share this\n"
)


def test_unwrap_cleans_as_the_cli(cli):
    for unwrap, flag in ((True, "--unwrap"), (72, "--unwrap=72")):
        cleaner = kzclean.Cleaner(unwrap=unwrap)
        assert cleaner.clean(WRAPPED) == cli(WRAPPED, flag)
        assert pickle.loads(pickle.dumps(cleaner)).clean(WRAPPED) == cli(WRAPPED, flag)
        assert f"unwrap={unwrap}" in repr(cleaner)
    assert kzclean.Cleaner(unwrap=True).clean(WRAPPED) != kzclean.Cleaner().clean(WRAPPED)
    assert kzclean.Cleaner(unwrap=False).clean(WRAPPED) == kzclean.Cleaner().clean(WRAPPED)
    for bad in (5, "wide", 2.5):
        with pytest.raises(ValueError, match="unwrap must be"):
            kzclean.Cleaner(unwrap=bad)
