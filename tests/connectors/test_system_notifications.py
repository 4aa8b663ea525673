# ruff: noqa: RUF001
"""What the systems could not do, or are about to do, reaches the people who
act on it: IT hears of planned and failed access changes, HR and IT of a sync
that stopped working and of a write-back that failed — each in their language,
once."""

import pytest
from django.core import mail
from wagtail.users.models import UserProfile

from cms.models import NotificationSettings
from connectors.access import services as access
from connectors.models import ConnectorConfig, Transfer
from connectors.sdk.base import ConnectorError, MisconfiguredError
from connectors.types.sample import SampleConnector
from tests.connectors.helpers import crm_block, deals, sync
from tests.connectors.test_access import (  # noqa: F401 (fixtures)
    Directory,
    confirm,
    directory,
    grants,
    handover,
)
from tests.fixtures.handovers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _send_each_event_at_once(db):
    NotificationSettings.objects.update_or_create(defaults={"batch_window_minutes": 0})


def to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def speaks_chinese(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "zh-hans"
    profile.save()


def test_it_hears_what_access_changes_when_in_its_language(
    handover,  # noqa: F811
    people,
    django_capture_on_commit_callbacks,
):
    speaks_chinese(people["it"])
    mail.outbox.clear()

    confirm(
        grants(handover)[("account", "")], people, django_capture_on_commit_callbacks
    )

    [message] = to(people["it"])
    assert "访问权限变更已计划" in message.subject
    # 18:00 Shanghai time on the last working day, in Chinese.
    assert "Directory 的访问权限将于 2026年12月31日 变更" in message.body
    # The change itself in the reader's language too, not the handover's.
    assert "Directory：停用账号 sales。" in message.body
    assert f"/zh-hans/handovers/{handover.pk}/" in message.body
    assert not to(people["hr"])


def test_it_hears_when_an_access_change_fails(
    handover,  # noqa: F811
    people,
    django_capture_on_commit_callbacks,
):
    confirm(
        grants(handover)[("account", "")], people, django_capture_on_commit_callbacks
    )
    Directory.fail_next = [ConnectorError("The directory did not answer.")]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        access.access_revoke_now(actor=people["it"], handover=handover)

    [message] = to(people["it"])
    assert "a system needs your attention" in message.subject
    assert (
        "An access change on Directory failed: The directory did not answer."
        in message.body
    )
    assert not to(people["successor"])


def test_hr_and_it_hear_once_that_a_sync_stopped_working(
    started, people, monkeypatch, django_capture_on_commit_callbacks
):
    def refused(self, **kwargs):
        raise MisconfiguredError("The CRM refused the token.")

    monkeypatch.setattr(SampleConnector, "discover", refused)
    mail.outbox.clear()

    for _attempt in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            sync(started)

    block = crm_block(started)
    line = (
        f"Filling “{block.label}” from CRM (sample) failed: The CRM refused the token."
    )
    for name in ("hr", "it"):
        [message] = to(people[name])
        assert line in message.body
    assert not to(people["sales"]) and not to(people["successor"])

    # Once it works again, the next failure is news again.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        sync(started)
    monkeypatch.setattr(SampleConnector, "discover", refused)
    with django_capture_on_commit_callbacks(execute=True):
        sync(started)
    assert len(to(people["hr"])) == 2


def test_hr_and_it_hear_that_a_write_back_failed(
    started, people, monkeypatch, django_capture_on_commit_callbacks
):
    ConnectorConfig.objects.filter(slug="crm").update(transfer_on_accept=True)
    monkeypatch.setattr(SampleConnector, "verify_transfer", lambda self, **kw: False)
    item = deals(started)[0]
    from cms import services

    item = services.item_submit(actor=people["sales"], item=item, version=item.version)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.item_accept(
            actor=people["successor"],
            item=item,
            version=item.version,
            password=PASSWORD,
        )

    assert Transfer.objects.get(item=item).state == Transfer.State.FAILED
    for name in ("hr", "it"):
        [message] = to(people[name])
        assert f"Handing “{item.label}” over in CRM (sample) failed:" in message.body
        assert "reading the record back still shows another owner" in message.body
