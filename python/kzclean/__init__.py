"""kzclean: strip boilerplate from plain-text page dumps, keep the article.

>>> from kzclean import Cleaner
>>> cleaner = Cleaner()
>>> cleaner.clean("Skip to content\\nThe minister said the plan would start in May, after a long debate.\\n")
'The minister said the plan would start in May, after a long debate.\\n'

``Cleaner.clean_many`` cleans a batch on Rust threads; ``SiteProfile`` learns
the lines each site repeats (``Cleaner(profile=...)`` drops them);
``kzclean.datatrove``
has a datatrove pipeline step (``pip install kzclean[datatrove]``), imported
only when asked for.
"""

from ._kzclean import Cleaner, SiteProfile, __version__

__all__ = ["Cleaner", "SiteProfile", "__version__"]
