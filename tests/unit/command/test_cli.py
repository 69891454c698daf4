"""``ticket-command-api mint-token`` (serve and migrate run in the e2e and integration tests)."""

from __future__ import annotations

import jwt
import pytest

from tests.support.command_api import SECRET
from ticket_command import cli
from ticket_service.auth import AuthSettings, TokenVerifier


def test_mint_token_prints_a_token_the_service_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    assert cli.main(["mint-token", "--sub", "sue", "--role", "supervisor", "--role", "customer", "--ttl", "120"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["roles"], claims["exp"] - claims["iat"]) == ("sue", ["supervisor", "customer"], 120)


def test_mint_token_refuses_unknown_roles_and_a_missing_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    assert cli.main(["mint-token", "--sub", "x", "--role", "wizard"]) == 2
    assert "wizard" in capsys.readouterr().err
    for name in ("JWT_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS_URL", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["mint-token", "--sub", "x", "--role", "agent"]) == 2
    assert "JWT_SECRET" in capsys.readouterr().err


def test_a_subcommand_is_required() -> None:
    with pytest.raises(SystemExit):
        cli.main([])


@pytest.mark.parametrize("ttl", ["0", "-60"])
def test_mint_token_refuses_a_lifetime_that_is_already_over(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], ttl: str
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    assert cli.main(["mint-token", "--sub", "x", "--role", "agent", f"--ttl={ttl}"]) == 2
    assert "ttl" in capsys.readouterr().err


def test_mint_token_honours_the_configured_issuer_and_audience(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("JWT_ISSUER", "https://id.example")
    monkeypatch.setenv("JWT_AUDIENCE", "help-desk")
    assert cli.main(["mint-token", "--sub", "sue", "--role", "agent"]) == 0
    verifier = TokenVerifier(AuthSettings())
    assert verifier.verify(capsys.readouterr().out.strip()).sub == "sue"
