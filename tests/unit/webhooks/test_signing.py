"""Signatures per Standard Webhooks: the specification's published test vector, an independent verifier (the
``standardwebhooks`` package), and the partner's guide's Python and JavaScript snippets run as written."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ticket_webhooks import signing

pytestmark = pytest.mark.unit

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
# The specification's test vector (standard-webhooks/standard-webhooks, libraries' tests).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_test_vector() -> None:
    assert signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_a_new_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def signed(secret: str, body: bytes, at: int | None = None) -> dict[str, str]:
    return signing.headers(secret, "evt_1", at if at is not None else int(time.time()), body)


def test_the_independent_implementation_verifies_our_headers() -> None:
    secret, body = signing.new_secret(), b'{"type":"Created","data":{"x":1}}'
    headers = signed(secret, body)
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def snippet(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), flags=re.S)
    assert len(blocks) == 1, f"the guide should hold one {language} snippet"
    return str(blocks[0])


def cases(secret: str) -> list[tuple[dict[str, str], str, bool]]:
    body = '{"type":"Assigned","data":{"é":"ü"}}'
    now = int(time.time())
    good = signed(secret, body.encode(), now)
    rotated = good | {"webhook-signature": "v1,AAAA " + good["webhook-signature"]}
    return [
        (good, body, True),
        (rotated, body, True),
        (good, body.replace("Assigned", "Closeed"), False),
        (good | {"webhook-id": "evt_2"}, body, False),
        (signed(secret, body.encode(), now - 600), body, False),  # replayed ten minutes later
        (signed(signing.new_secret(), body.encode(), now), body, False),
        (good | {"webhook-signature": "v2," + good["webhook-signature"][3:]}, body, False),
    ]


def test_the_guides_python_snippet_verifies() -> None:
    namespace: dict[str, object] = {}
    exec(compile(snippet("python"), str(GUIDE), "exec"), namespace)
    verify = namespace["verify"]
    secret = signing.new_secret()
    results = [verify(secret, headers, body.encode()) for headers, body, _ in cases(secret)]  # type: ignore[operator]
    assert results == [expected for _, _, expected in cases(secret)]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_guides_javascript_snippet_verifies(tmp_path: Path) -> None:
    secret = signing.new_secret()
    checked = cases(secret)
    module = tmp_path / "verify.js"
    module.write_text(snippet("js"))
    runner = tmp_path / "run.js"
    runner.write_text(
        'const { verify } = require("./verify.js");\n'
        'const cases = JSON.parse(require("node:fs").readFileSync(0, "utf8"));\n'
        "console.log(JSON.stringify(cases.map(([headers, body]) => verify(process.argv[2], headers, "
        'Buffer.from(body, "utf8")))));\n'
    )
    done = subprocess.run(
        ["node", str(runner), secret],
        input=json.dumps([[h, b] for h, b, _ in checked]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [expected for _, _, expected in checked]
