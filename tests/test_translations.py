"""zh-Hans and English for everything a person reads."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import translation
from wagtail.users.models import UserProfile

from checklist_blocks.blocks.stream import ChecklistStreamBlock
from checklist_blocks.registry import all_kinds

PROJECT_DIR = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(PROJECT_DIR.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def _has_chinese(text):
    return any("\u4e00" <= char <= "\u9fff" for char in str(text))


def test_every_app_with_strings_has_a_chinese_catalogue():
    apps = {path.relative_to(PROJECT_DIR).parts[0] for path in CATALOGUES}

    assert {"checklist_blocks", "cms"} <= apps


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: str(path.parts[-5]))
def test_catalogue_is_completely_translated(path):
    catalogue = polib.pofile(str(path))

    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries() if not entry.obsolete]
    assert untranslated == []
    assert fuzzy == []
    # The build compiles it: a stale or missing .mo would show English.
    assert path.with_suffix(".mo").exists()


@pytest.mark.parametrize("spec", all_kinds(), ids=lambda spec: spec.kind)
def test_block_kind_labels_are_translated(spec):
    with translation.override("zh-hans"):
        assert _has_chinese(spec.label), spec.kind
        assert _has_chinese(spec.description), spec.kind
    with translation.override("en"):
        assert not _has_chinese(spec.label)


def test_validation_messages_are_translated():
    stream_block = ChecklistStreamBlock()
    value = stream_block.to_python(
        [
            {
                "type": "field",
                "value": {"label": "颜色", "key": "colour", "field_type": "choice"},
            }
        ]
    )

    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as caught:
            stream_block.clean(value)
        messages = " ".join(_all_messages(caught.value))

    assert _has_chinese(messages)


def _all_messages(error):
    found = []
    for attribute in ("block_errors", "non_block_errors"):
        nested = getattr(error, attribute, None)
        if isinstance(nested, dict):
            for child in nested.values():
                found.extend(_all_messages(child))
        elif nested:
            for child in nested:
                found.extend(_all_messages(child))
    if hasattr(error, "messages") and not getattr(error, "block_errors", None):
        found.extend(error.messages)
    return found


def test_admin_in_chinese_for_a_chinese_speaking_hr_admin(demo, client):
    hr = get_user_model().objects.get(username="hr")
    profile = UserProfile.get_for_user(hr)
    profile.preferred_language = "zh-hans"
    profile.save()
    client.force_login(hr)

    html = client.get("/admin/snippets/cms/role/").content.decode()

    assert "<title>岗位" in html  # the Roles listing
    # The sidebar menu is rendered from JSON: "Organisation", Baton's own menu.
    assert json.dumps("组织架构")[1:-1] in html


def test_participant_pages_in_chinese(demo, client):
    client.login(username="sales", password="baton-demo")

    html = client.get("/zh-hans/").content.decode()

    assert "搜索" in html
    assert "销售岗位交接" in html


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
@pytest.mark.parametrize("app", ["checklist_blocks", "cms", "connectors", "reports"])
def test_catalogue_holds_every_string_of_the_code(app, tmp_path):
    """A string the code marks for translation but the catalogue lacks would
    show in English to a Chinese reader: extract afresh and compare."""
    copy = tmp_path / app
    shutil.copytree(
        PROJECT_DIR / app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    subprocess.run(  # noqa: S603 - Django's own command on a copy of our code
        [
            sys.executable,
            str(PROJECT_DIR / "manage.py"),
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--no-location",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    fresh = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))

    missing = [
        entry.msgid
        for entry in fresh
        if (entry.msgstr == "" and not entry.msgstr_plural) or "fuzzy" in entry.flags
    ]
    assert missing == [], f"run `make messages` and translate: {missing[:10]}"
