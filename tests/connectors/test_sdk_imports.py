"""The Feishu and DingTalk SDKs are loaded by the first connector that talks to
them, not by every process: lark-oapi alone is some 10,000 modules and 160 MB,
which the web workers and the certificate worker (benchmark 6's memory) never
need."""

import os
import subprocess
import sys

from django.conf import settings

HEAVY = ("lark_oapi", "alibabacloud_dingtalk", "Tea")


def _loaded_after(code: str) -> set[str]:
    """The heavy SDKs a fresh process has imported after ``code``."""
    script = (
        "import sys, django; django.setup(); "
        f"{code}; "
        "print('loaded:' + ','.join({m.split('.')[0] for m in sys.modules}))"
    )
    output = subprocess.run(  # noqa: S603 - our interpreter, a fixed script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
    ).stdout
    [line] = [line for line in output.splitlines() if line.startswith("loaded:")]
    return set(line.removeprefix("loaded:").split(",")) & set(HEAVY)


def test_starting_django_and_listing_connector_types_loads_no_sdk():
    assert _loaded_after("from connectors.registry import types; types()") == set()


def test_the_sdks_load_when_a_connector_needs_them():
    loaded = _loaded_after(
        "from connectors.types import feishu, dingtalk; "
        "feishu._lark(); dingtalk._dingtalk()"
    )
    assert loaded == set(HEAVY)
