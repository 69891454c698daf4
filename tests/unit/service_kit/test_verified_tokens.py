"""Verified tokens are remembered, briefly and never past their expiry; refused ones are checked every time."""

from __future__ import annotations

import time

import pytest

from ticket_service.auth import AuthError, AuthSettings, TokenVerifier, Verified, mint_token

SECRET = "s3cret-for-tests-only-0123456789abcdef"


class Clock:
    """The verifier's clock, starting at the real time: PyJWT itself checks tokens against the real clock."""

    def __init__(self) -> None:
        self.start = self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


def verifier(clock: Clock, **options: object) -> TokenVerifier:
    settings = AuthSettings(_env_file=None, secret=SECRET, leeway_seconds=30)  # type: ignore[call-arg]
    return TokenVerifier(settings, clock=clock, **options)  # type: ignore[arg-type]


def checks(checker: TokenVerifier) -> list[str]:
    """The tokens whose signature and claims ``checker`` checks from now on."""
    checked: list[str] = []
    original = checker._verify

    def spy(token: str, may_fetch: bool) -> Verified:
        checked.append(token)
        return original(token, may_fetch)

    checker._verify = spy  # type: ignore[method-assign]
    return checked


def test_a_verified_token_is_remembered_until_its_expiry_plus_the_leeway() -> None:
    clock = Clock()
    checker = verifier(clock, cache_seconds=3600)
    checked = checks(checker)
    token = mint_token(SECRET, "alice", ["customer"], ttl_seconds=60, now=clock.start)
    assert checker.verify(token).sub == "alice"
    clock.now = clock.start + 60 + 29
    assert checker.verify(token).sub == "alice"
    assert checked == [token]
    clock.now = clock.start + 60 + 30  # where PyJWT, with the same leeway, starts refusing it
    checker.verify(token)
    assert checked == [token, token]


def test_remembered_tokens_are_checked_again_after_a_while() -> None:
    clock = Clock()
    checker = verifier(clock, cache_seconds=60)
    token = mint_token(SECRET, "alice", ["customer"])
    checker.verify(token)
    checked = checks(checker)
    checker.verify(token)
    clock.now += 61
    checker.verify(token)
    assert checked == [token]


def test_refused_tokens_are_not_remembered_and_the_memory_is_bounded() -> None:
    clock = Clock()
    checker = verifier(clock, cache_size=3)
    bad = mint_token("another-secret-of-sufficient-length!!", "eve", ["admin"])
    for _ in range(2):
        with pytest.raises(AuthError):
            checker.verify(bad)
    tokens = [mint_token(SECRET, f"user-{n}", ["customer"]) for n in range(5)]
    assert [checker.verify(t).sub for t in tokens] == [f"user-{n}" for n in range(5)]
    assert list(checker._verified) == tokens[2:]
