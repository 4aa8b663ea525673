"""Templates with one connector block, and handovers started from them."""

import datetime
import uuid

from cms import services
from cms.models import ChecklistTemplatePage, Employee, Item, TemplateIndexPage
from connectors.models import BlockSync, ConnectorConfig
from connectors.sync import run_block_sync


def connector_block(connector: str, record_kind: str, *, label, mapping=()):
    return {
        "type": "connector_list",
        "id": str(uuid.uuid4()),
        "value": _block_value(connector, record_kind, label, mapping),
    }


def connectors_template(title: str, blocks):
    """A published English template with the given connector_list blocks."""
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    template = ChecklistTemplatePage(
        title=title,
        slug=f"connectors-{uuid.uuid4().hex[:8]}",
        body=[
            {
                "type": "section",
                "id": str(uuid.uuid4()),
                "value": {"title": "Systems", "description": "", "items": blocks},
            }
        ],
    )
    index.add_child(instance=template)
    template.save_revision().publish()
    return ChecklistTemplatePage.objects.get(pk=template.pk)


def connector_template(
    connector: str, record_kind: str, *, label="From the directory", mapping=()
):
    """A published English template with one connector_list block."""
    index = TemplateIndexPage.objects.get(locale__language_code="en")
    block = _block_value(connector, record_kind, label, mapping)
    return _publish(index, connector, record_kind, block)


def _block_value(connector, record_kind, label, mapping):
    return {
        "label": label,
        "help_text": "",
        "connector": connector,
        "record_kind": record_kind,
        "filter": [],
        "field_mapping": [
            {"source": source, "target": target} for target, source in mapping
        ],
        "required": True,
        "filled_by": "leaver",
        "confirmed_by": "successor",
        "evidence": "none",
        "due_offset_days": 0,
        "condition": {"field_key": "", "operator": "", "value": ""},
    }


def _publish(index, connector, record_kind, block):
    slug = f"{connector}-{record_kind}-{uuid.uuid4().hex[:6]}"
    template = ChecklistTemplatePage(
        title=f"{connector} {record_kind}",
        slug=slug,
        body=[
            {
                "type": "section",
                "id": str(uuid.uuid4()),
                "value": {
                    "title": "Systems",
                    "description": "",
                    "items": [
                        {
                            "type": "connector_list",
                            "id": str(uuid.uuid4()),
                            "value": block,
                        }
                    ],
                },
            }
        ],
    )
    index.add_child(instance=template)
    template.save_revision().publish()
    return ChecklistTemplatePage.objects.get(pk=template.pk)


def start_handover(people, template, username="sales"):
    return services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=people[username]),
        template=template,
        last_working_day=datetime.date(2026, 12, 31),
        successors=[people["successor"]],
        manager=people["manager"],
    )


# The sales handover and its demo CRM block ----------------------------------------


def deals(handover):
    """The items of the demo CRM's deals (the Sales template has other
    connector blocks too)."""
    return list(
        Item.objects.filter(
            handover=handover, synced_record__connector__slug="crm"
        ).order_by("pk")
    )


def crm_block(handover):
    return BlockSync.objects.get(handover=handover, connector_slug="crm")


def set_deals(rows):
    crm = ConnectorConfig.objects.get(slug="crm")
    crm.settings["records"]["sales@baton.example"]["deal"] = rows
    crm.save()


def sync(handover, trigger="manual"):
    status = crm_block(handover)
    return run_block_sync(
        handover_id=handover.pk, block_id=status.block_id, trigger=trigger
    )


def admin_user(user):
    """``user`` may open the Wagtail admin, so what stops them is Baton's own
    rule (HR and IT only), not the admin's door."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
    )
    return user
