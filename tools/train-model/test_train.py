"""train.py's per-page decision must agree with kzclean's.

    python3 -m pytest tools/train-model/test_train.py      # needs numpy and pytest

The cross-validation in train.py measures kzclean's decision by re-implementing
it (`expected_f1_keep`); if the two drift apart, the CV figures describe a
filter that does not exist. The reference is `tests/fixtures/thresholds.tsv`,
whose thresholds the Rust side (`expected_f_threshold` in src/cleaner/threshold.rs)
computes: lines starting with `#` are comments, and each row is
`kept_words<TAB>beta<TAB>spread<TAB>lines<TAB>threshold`, with lines as comma-separated
`p:n` pairs (probability, words) and threshold printed by Rust's `{}` (`inf`
when no line is kept). kzclean keeps a line when p >= threshold.

Each row becomes one page for `expected_f1_keep`: every fixture line a model
line (state 2), uncapped (`cap=inf`, so that only the per-page bar decides).
kzclean's kept_words are the words of lines a `keep` rule kept; train.py counts
them from the page's rule-kept lines (state 1), so a row with kept_words > 0
gets one extra rule-kept line of that many words, left out of the comparison.
(In the feature dump itself K is always 0: the dump has no rows for rule-kept
lines.)
"""
from __future__ import annotations

import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "thresholds.tsv"

sys.path.insert(0, str(HERE))
import train  # noqa: E402


def read_fixture(path: pathlib.Path) -> list[tuple[int, float, float, float, list[tuple[float, float]], float]]:
    """(line number, kept_words, beta, spread, [(p, n)], threshold) per row."""
    rows = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("\t")
        assert len(fields) == 5, f"{path.name}:{number}: {len(fields)} fields, not 5"
        kept_words, beta, spread, lines, threshold = fields
        pairs = [tuple(float(x) for x in pair.split(":")) for pair in lines.split(",") if pair]
        rows.append((number, float(kept_words), float(beta), float(spread), pairs, float(threshold)))
    return rows


ROWS = read_fixture(FIXTURE)


def test_the_fixture_has_rows():
    # An empty or misread fixture would make the agreement test pass vacuously.
    assert len(ROWS) >= 5


@pytest.mark.parametrize("row", ROWS, ids=[f"line{r[0]}" for r in ROWS])
def test_expected_f1_keep_keeps_the_lines_kzclean_keeps(row):
    number, kept_words, beta, spread, lines, threshold = row
    prob = np.array([p for p, _ in lines], dtype=np.float64)
    words = np.array([n for _, n in lines], dtype=np.float64)
    state = np.full(len(lines), 2)
    if kept_words > 0:
        prob = np.append(prob, 1.0)  # a rule-kept line: its probability is never read
        words = np.append(words, kept_words)
        state = np.append(state, 1)
    doc = np.zeros(len(state), dtype=int)
    keep = train.expected_f1_keep(prob, words, doc, state, 1, cap=np.inf, beta=beta, spread=spread)
    got = {i for i in range(len(lines)) if keep[i]}
    want = {i for i, (p, _) in enumerate(lines) if p >= threshold}
    assert got == want, f"{FIXTURE.name}:{number}: train.py keeps {sorted(got)}, kzclean {sorted(want)}"
    if kept_words > 0:
        assert keep[-1], "the rule-kept line stays kept"


def test_importing_train_needs_numpy_only():
    # The heavy imports (LightGBM, scikit-learn, SciPy) live in the functions
    # that train, so this test and analysis scripts run with numpy alone.
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import train; " \
           "print(sorted(m for m in ('lightgbm', 'sklearn', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"



def test_fold_models_need_the_cross_validation():
    # Without --cv there are no fold models to write: refused before any
    # corpus is read, rather than a full fit that writes none.
    done = subprocess.run([sys.executable, str(HERE / "train.py"), "--corpus", "/nonexistent",
                           "--fold-models", "/nonexistent/folds"], capture_output=True, text=True)
    assert done.returncode != 0
    assert "--fold-models needs --cv" in done.stderr


def test_early_exits_fit_and_apply_as_kzclean_scores():
    # Partial scores after 1 and 2 trees; the final score is 2 s + 0.5 above
    # zero and 3 s - 1 below, for the lines that stop after the first tree.
    partial = {1: np.array([2.0, 3.0, -2.0, -4.0, 0.5, 0.2, 0.1]),
               2: np.array([2.5, 3.5, -2.5, -4.5, 1.5, 0.3, -0.2])}
    full = np.array([4.5, 6.5, -7.0, -13.0, 1.8, 0.6, -0.4])
    exits = train.fit_exits(partial.__getitem__, full, [1, 2], 1.0)
    after, margin, a_pos, b_pos, a_neg, b_neg = exits[0]
    assert (after, margin) == (1, 1.0)
    assert np.allclose([a_pos, b_pos, a_neg, b_neg], [2.0, 0.5, 3.0, -1.0])
    # At the second exit only line 4 (1.5) is clear among those still going;
    # one line cannot be fitted, so it stops unchanged.
    assert exits[1] == (2, 1.0, 1.0, 0.0, 1.0, 0.0)
    score = train.apply_exits(partial.__getitem__, full, exits)
    assert np.allclose(score, [4.5, 6.5, -7.0, -13.0, 1.5, 0.6, -0.4])


def test_exit_after_must_be_below_the_tree_count():
    done = subprocess.run([sys.executable, str(HERE / "train.py"), "--corpus", "/nonexistent",
                           "--exit-after", "150"], capture_output=True, text=True)
    assert done.returncode != 0
    assert "--exit-after" in done.stderr


def test_extra_features_are_appended_after_kzclean_s():
    X = np.zeros((3, 2), dtype=np.float32)
    wider, names = train.append_columns(X, ["a", "b"], np.array([1.0, 2.0, 3.0]), ["c"])
    assert names == ["a", "b", "c"]
    assert wider.shape == (3, 3) and wider[:, 2].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("columns, new_names, problem", [
    (np.zeros((2, 1)), ["c"], "shape"),           # a row short
    (np.zeros((3, 2)), ["c"], "shape"),           # a name short
    (np.zeros((3, 1)), ["b"], "already"),         # a name kzclean has
])
def test_extra_features_that_do_not_fit_are_refused(columns, new_names, problem):
    with pytest.raises(ValueError, match=problem):
        train.append_columns(np.zeros((3, 2), dtype=np.float32), ["a", "b"], columns, new_names)
