"""Type stubs of the Rust extension module."""

import os
from typing import List, Optional, Sequence, Tuple, Union

__version__: str

_RuleItem = Union[str, bytes, "os.PathLike[str]"]

class Cleaner:
    """Cleans plain-text page dumps: drops boilerplate lines, keeps the body.

    ``rules``: extra rules added to the built-in ones, like the CLI's
    ``--rules``: rule-file text (str or bytes), a rule file's path
    (``os.PathLike``, or a one-line str naming an existing file), or a list
    of these. ``preset``: None (balanced), ``"precision"``, ``"recall"`` or
    ``"fast"`` (``--fast``: several times faster, a little less accurate).
    ``classifier=False`` decides with the rules only (``--no-classifier``).

    Raises ValueError for invalid rules (``path:line: message``) or an
    unknown preset, OSError for an unreadable rule file. Thread-safe; the GIL
    is released while cleaning. Pickles by its settings.
    """

    def __init__(
        self,
        rules: Optional[Union[_RuleItem, Sequence[_RuleItem]]] = None,
        preset: Optional[str] = None,
        classifier: bool = True,
    ) -> None: ...
    def clean(self, text: str) -> str:
        """Cleans one document; the kept lines, as ``kzclean < file`` prints them."""
    def clean_many(self, texts: Sequence[str], threads: Optional[int] = None) -> List[str]:
        """Cleans many documents on Rust threads (None: one per core), in input order."""
    def explain(self, text: str) -> List[Tuple[bool, str, str]]:
        """(keep, reason, line) for each line: the rows of ``kzclean --explain``."""
    @property
    def preset(self) -> Optional[str]:
        """None, ``"precision"`` or ``"recall"``."""
    @property
    def classifier(self) -> bool:
        """Whether lines no rule decides go to the classifier."""
    @property
    def rule_ids(self) -> List[str]:
        """The ids of the rules in force, built-in and added, in order."""
    def __reduce__(self) -> Tuple[object, Tuple[object, ...]]: ...

def _rebuild(
    sources: List[Tuple[str, bytes]], preset: Optional[str], classifier: bool
) -> Cleaner: ...
