"""Shared fixtures: the CLI binary the bindings are compared with, and the
pages to compare on (the repository's seed pages plus a few synthetic ones
for edge cases: CRLF, no final newline, empty, non-Latin scripts)."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "tests" / "fixtures" / "seeds").glob("*.txt"))


def _seed_texts():
    # Bytes decoded by hand: open() in text mode would turn CRLF into LF.
    return {p.name: p.read_bytes().decode("utf-8") for p in SEEDS}


def _synthetic():
    seeds = _seed_texts()
    first = next(iter(seeds.values()))
    return {
        "crlf": first.replace("\n", "\r\n"),
        "no-final-newline": first.rstrip("\n"),
        "empty": "",
        "blank-lines": "\n\n  \n\t\n",
        "one-line": "The minister said the plan would start in May, after a long debate.",
        "mixed-scripts": (
            "Главная\nПоиск\n"
            "Министр заявил, что план начнёт действовать в мае, после долгих дебатов в парламенте.\n"
            "\n首页\n部长说，经过长时间的辩论，该计划将于五月开始实施，各方对此表示欢迎。\n"
            "© 2024 Example News. All rights reserved.\n"
        ),
        "boilerplate-only": "Skip to content\nHome\nMenu\nSearch\nLog in\nPrivacy policy\n",
    }


PAGES = {**_seed_texts(), **_synthetic()}


@pytest.fixture(scope="session")
def kzclean_bin():
    """The release CLI: $KZCLEAN_BIN, else target/release/kzclean."""
    path = Path(os.environ.get("KZCLEAN_BIN", REPO / "target" / "release" / "kzclean"))
    if not path.is_file():
        pytest.fail(f"{path}: no kzclean binary; run `cargo build --release` at the repository root or set KZCLEAN_BIN")
    return path


@pytest.fixture(scope="session")
def cli(kzclean_bin):
    """cli(text, *flags) -> the CLI's stdout for text on stdin, as str."""

    def run(text, *flags):
        done = subprocess.run(
            [str(kzclean_bin), *flags], input=text.encode("utf-8"), capture_output=True, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode("utf-8")

    return run


@pytest.fixture(params=sorted(PAGES), scope="session")
def page(request):
    """(name, text) of each test page."""
    return request.param, PAGES[request.param]
