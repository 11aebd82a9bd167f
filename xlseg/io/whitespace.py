"""The whitespace rule shared by the cleaning and the early header check (no pandas, so the CLI can use it).

Every character Python calls whitespace, plus zero-width spaces, is written out literally so the same
pattern works in Python's re and in pyarrow's RE2 (which pandas uses for str columns).
"""

from __future__ import annotations

import re

ODD_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and c != " ") + "\u200b\u2060\ufeff"
SPACES = f"[ {ODD_SPACES}]+"
_SPACES_RE = re.compile(SPACES)


def squash_spaces(text: str) -> str:
    """``text`` with every run of whitespace as one space, trimmed: how a header or label cell reads."""
    return _SPACES_RE.sub(" ", text).strip()
