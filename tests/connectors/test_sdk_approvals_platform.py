"""The approval platforms' shared plumbing (``connectors.sdk.approvals.platform``):
error codes translated from a table, the access token renewed once when the
platform refuses it, and secrets scrubbed from quoted text."""

import pytest

from connectors.sdk.approvals.platform import PlatformApp, Rule
from connectors.sdk.auth import TokenRefused
from connectors.sdk.base import ConnectorError, MisconfiguredError

RULES = (
    Rule("token %(code)s", codes=(40014,), renew=True),
    Rule("denied %(code)s", prefixes=("Forbidden",), fix=True),
    Rule("coded %(code)s: %(message)s", any_code=True),
    Rule("%(host)s down (HTTP %(status)s)", from_status=500),
    Rule("%(system)s: HTTP %(status)s, code %(code)s"),
)


class _App(PlatformApp):
    system, host = "Acme", "api.acme.example"

    def __init__(self, tokens):
        self.secrets = {"app_secret": "s3cret"}
        self.tokens = iter(tokens)

    def require_settings(self):
        pass

    def fetch_token(self):
        return next(self.tokens)


@pytest.mark.parametrize(
    "answer, kind, message",
    [
        ({"code": 40014}, TokenRefused, "token 40014"),
        ({"code": "Forbidden.Access"}, MisconfiguredError, "denied Forbidden.Access"),
        ({"code": 7, "message": "no s3cret"}, ConnectorError, "coded 7: no •••"),
        ({"status": 502}, ConnectorError, "api.acme.example down (HTTP 502)"),
        ({"status": 400, "code": ""}, ConnectorError, "Acme: HTTP 400, code -"),
    ],
)
def test_the_first_matching_rule_names_the_error(answer, kind, message):
    error = _App(["t1"]).failure(RULES, request_id="R-1", **answer)

    assert type(error) is kind
    assert (error.message, error.request_id) == (message, "R-1")


def test_a_refused_token_is_renewed_once_then_refused_for_good():
    app, used = _App(["t1", "t2"]), []

    def refused(token):
        used.append(token)
        raise app.failure(RULES, code=40014)

    with pytest.raises(TokenRefused):
        app.with_token(refused)

    assert used == ["t1", "t2"]
