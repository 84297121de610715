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
    ``profile``: a :class:`SiteProfile`, or a profile file's path or bytes
    (``--profile``); pages cleaned with their ``url=`` or ``site=`` drop the
    lines their site repeats on ``profile_min_pages`` pages and
    ``profile_min_share`` of them. ``unwrap``: for hard-wrapped text
    (``--unwrap``): True joins each paragraph's lines at each document's
    longest line, an int at that width.

    Raises ValueError for invalid rules or profile (``path:line: message``)
    or an unknown preset, OSError for an unreadable rule or profile file.
    Thread-safe; the GIL is released while cleaning. Pickles by its settings.
    """

    def __init__(
        self,
        rules: Optional[Union[_RuleItem, Sequence[_RuleItem]]] = None,
        preset: Optional[str] = None,
        classifier: bool = True,
        profile: Optional[Union["SiteProfile", bytes, str, "os.PathLike[str]"]] = None,
        profile_min_pages: int = 1,
        profile_min_share: float = 0.7,
        unwrap: Optional[Union[bool, int]] = None,
    ) -> None: ...
    def clean(self, text: str, url: Optional[str] = None, site: Optional[str] = None) -> str:
        """Cleans one document; the kept lines, as ``kzclean < file`` prints them."""
    def clean_many(
        self,
        texts: Sequence[str],
        threads: Optional[int] = None,
        urls: Optional[Sequence[Optional[str]]] = None,
        sites: Optional[Sequence[Optional[str]]] = None,
    ) -> List[str]:
        """Cleans many documents on Rust threads (None: one per core), in input order."""
    def explain(
        self, text: str, url: Optional[str] = None, site: Optional[str] = None
    ) -> List[Tuple[bool, str, str]]:
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

class SiteProfile:
    """Per site, on how many of its pages each line occurs (``kzclean learn``).

    ``add(text, url=...)`` or ``add(text, site=...)`` counts a page;
    ``merge`` adds another profile (the same as learning both at once);
    ``to_bytes`` / ``from_bytes`` / ``load`` write and read profile files.
    Pickles by its bytes; thread-safe.
    """

    def __init__(self, max_lines: int = 2000000) -> None: ...
    def add(self, text: str, url: Optional[str] = None, site: Optional[str] = None) -> None:
        """Counts one page of a site (``site=``, else the URL's registered domain)."""
    def merge(self, other: "SiteProfile") -> None:
        """Adds another profile's counts to this one."""
    def to_bytes(self) -> bytes:
        """The profile file's bytes, as ``kzclean learn`` writes them."""
    @staticmethod
    def from_bytes(data: bytes) -> "SiteProfile":
        """Reads a profile from a file's bytes (ValueError naming each bad line)."""
    @staticmethod
    def load(path: Union[str, "os.PathLike[str]"]) -> "SiteProfile":
        """Reads a profile file (OSError if unreadable, ValueError if invalid)."""
    @property
    def sites(self) -> int:
        """How many sites it counts."""
    def pages(self, site: str) -> int:
        """How many pages of ``site`` it counted (0 for an unknown site)."""
    def __reduce__(self) -> Tuple[object, Tuple[object, ...]]: ...

def _rebuild(
    sources: List[Tuple[str, bytes]],
    preset: Optional[str],
    classifier: bool,
    profile: Optional[Tuple[bytes, int, float]] = None,
    unwrap: Optional[int] = None,
) -> Cleaner: ...
