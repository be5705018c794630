"""Discussions: the pure rules of a labelled message (issue 21, ADR 0026).

- **Mentions** are ``@username`` tokens, read with the username rule of
  ``caveat.domain.identity`` (lower case, 3-64 characters, ending in a letter or digit), so
  ``@bob.`` at the end of a sentence mentions ``bob``.
- **The ledger never carries a message's text**, only a commitment to it: SHA-256 over a
  fixed prefix, a random per-version salt and the UTF-8 text. The salt stays in the
  database beside the text, so whoever holds the row can show that the ledger's hash is
  this text, while a reader of the ledger alone cannot confirm a guess of a short text
  ("yes", "no") by hashing it.
"""

from __future__ import annotations

import hashlib
import re

MAX_TEXT = 20_000  # characters of one message version
MAX_TITLE = 300
MAX_MENTIONS = 20  # distinct people mentioned in one version
SALT_BYTES = 16

_MENTION = re.compile(r"(?<![A-Za-z0-9._@-])@([a-z][a-z0-9._-]{1,62}[a-z0-9])")
_PREFIX = b"caveat.discussion.text/1\x00"


def mentions(text: str) -> tuple[str, ...]:
    """The usernames ``text`` mentions, each once, in the order first written."""
    return tuple(dict.fromkeys(m.group(1) for m in _MENTION.finditer(text)))


def text_commitment(salt: bytes, text: str) -> str:
    """The hex SHA-256 commitment to ``text`` under ``salt`` (what events carry); the
    salt has a fixed length (``SALT_BYTES``), so salt and text cannot trade bytes."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a text salt has {SALT_BYTES} bytes")
    return hashlib.sha256(_PREFIX + salt + text.encode()).hexdigest()
