from __future__ import annotations

import pytest

from caveat.domain.passwords import (
    MAX_LENGTH,
    WeakPassword,
    check_password,
    draw_one_time_password,
)


@pytest.mark.parametrize(
    "password",
    ["short-pw-1", "password1234", "qwertyuiop123", "aaaaaaaaaaaaaaaa", "123456789012"],
)
def test_weak_passwords_are_refused_with_a_hint(password: str) -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password(password)
    assert caught.value.field == "password"
    assert caught.value.hint


def test_length_is_checked_before_strength() -> None:
    with pytest.raises(WeakPassword, match="at least 12"):
        check_password("Xq7#pL2!vB9")  # 11 random characters: strong but short


def test_overlong_passwords_are_refused() -> None:
    with pytest.raises(WeakPassword, match="longer than"):
        check_password("correct horse battery staple " * 40)
    assert len("correct horse battery staple " * 40) > MAX_LENGTH


def test_the_username_may_not_appear_in_the_password() -> None:
    check_password("Margarethe-harbour-lantern")  # fine for someone else
    with pytest.raises(WeakPassword, match="username"):
        check_password("Margarethe-harbour-lantern", username="margarethe")


@pytest.mark.parametrize("password", ["violet-harbour-lantern-42", "correct horse battery staple"])
def test_passphrases_pass(password: str) -> None:
    check_password(password)


def test_a_one_time_password_containing_the_username_is_drawn_again() -> None:
    # A random draw may contain a three-letter username ("bob" in "x8Bob..."); it is
    # discarded and the next draw taken, never offered to the person and refused.
    draws = iter(["Zq8bobR2vL0kPw7mXc4Ty9", "Hn3Jd9Qx7Lp2Vw5Kz8Rt1M"])
    drawn = draw_one_time_password(lambda: next(draws), username="bob")
    assert drawn == "Hn3Jd9Qx7Lp2Vw5Kz8Rt1M"


def test_drawing_gives_up_rather_than_accept_a_weak_password() -> None:
    with pytest.raises(RuntimeError):
        draw_one_time_password(lambda: "short", attempts=3)
