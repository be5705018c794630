"""Password policy (OWASP ASVS v4 2.1): length first, then a strength estimate.

Composition rules are deliberately absent (ASVS 2.1.9); a minimum of 12
characters, a maximum of 1,024 so hashing cost stays bounded, and zxcvbn's
estimate of guessability with the person's own names counted as known words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from zxcvbn import zxcvbn

from caveat.domain.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1024
MIN_SCORE = 3  # zxcvbn 0-4; 3 = "safely unguessable: moderate protection from offline attack"


class WeakPassword(InvalidInput):
    """Raised when a new password is too short, too long or too easy to guess."""

    code = "weak_password"


def check_password(
    password: str, *, personal: Sequence[str] = (), username: str | None = None
) -> None:
    """Raise WeakPassword unless ``password`` meets the policy; ``personal`` are own words."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"the password has {len(password)} characters; at least {MIN_LENGTH} are needed",
            field="password",
            hint="use a passphrase of several unrelated words",
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(
            f"the password is longer than {MAX_LENGTH} characters",
            field="password",
        )
    if username and len(username) >= 3 and username.lower() in password.lower():
        # NIST SP 800-63B 5.1.1.2: context-specific words such as the username are refused.
        raise WeakPassword(
            "the password contains the username", field="password", hint="leave your name out"
        )
    # zxcvbn's cost grows with length; its first 100 characters decide the estimate.
    result = zxcvbn(password[:100], user_inputs=[p for p in personal if p])
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback", {})
        hint = feedback.get("warning") or "add more unrelated words or characters"
        raise WeakPassword(
            "the password is too easy to guess",
            field="password",
            hint=str(hint),
        )


def draw_one_time_password(
    draw: Callable[[], str],
    *,
    personal: Sequence[str] = (),
    username: str | None = None,
    attempts: int = 64,
) -> str:
    """The first of ``draw()``'s passwords that meets the policy itself.

    A random draw can still be refused: it may contain a short username or a word of
    the person's name. Such a draw is discarded, never weakened into acceptance.
    """
    for _ in range(attempts):
        candidate = draw()
        try:
            check_password(candidate, personal=personal, username=username)
        except WeakPassword:
            continue
        return candidate
    raise RuntimeError(f"no acceptable one-time password in {attempts} draws")
