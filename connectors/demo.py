"""Demo connectors for ``make run``: built-in sample sources, so a new user sees
connector blocks filled without any external system."""

from pathlib import Path

from django.conf import settings as django_settings

from .models import ConnectorConfig

CRM_DEALS = {
    "sales@baton.example": {
        "deal": [
            {
                "id": "D-1001",
                "title": "Huaxin Logistics — fleet tracking renewal",
                "fields": {
                    "company": "Huaxin Logistics",
                    "contact": {"name": "Zhou Lan", "phone": "+86 21 5555 0101"},
                    "quote": "CNY 480,000 / year, sent 2026-10-12",
                    "notes": "Renewal due in January; wants quarterly reviews.",
                },
            },
            {
                "id": "D-1002",
                "title": "Minghe Foods — warehouse sensors pilot",
                "fields": {
                    "company": "Minghe Foods",
                    "contact": {"name": "Qian Yu", "phone": "+86 571 5555 0199"},
                    "quote": "CNY 96,000 pilot, awaiting purchase order",
                    "notes": "Promised a site visit before the pilot starts.",
                },
            },
        ]
    }
}
CRM_MAPPINGS = {
    "deal": {
        "customer": "company",
        "contact_person.name": "contact.name",
        "contact_person.phone": "contact.phone",
        "last_quote": "quote",
        "relationship_notes": "notes",
    }
}

GIT_REPOSITORIES = {
    "dev@baton.example": {
        "repository": [
            {
                "id": "baton/billing-service",
                "title": "billing-service",
                "fields": {
                    "name": "billing-service",
                    "url": "https://git.baton.example/baton/billing-service",
                    "description": "Invoices and payment webhooks. Sole maintainer.",
                },
            },
            {
                "id": "baton/deploy-scripts",
                "title": "deploy-scripts",
                "fields": {
                    "name": "deploy-scripts",
                    "url": "https://git.baton.example/baton/deploy-scripts",
                    "description": "Ansible playbooks for the production hosts.",
                },
            },
        ]
    }
}
GIT_MAPPINGS = {
    "repository": {"title": "name", "location": "url", "notes": "description"}
}

OA_RECORDS = {
    "sales@baton.example": {
        "approval": [
            {
                "id": "OA-2026-1187",
                "title": "Discount approval for Huaxin Logistics (8%)",
                "fields": {
                    "system": "OA",
                    "reference": "OA-2026-1187",
                    "title": "Discount approval for Huaxin Logistics (8%)",
                    "direction": "raised_by_me",
                    "amount": "38400.00",
                    "status": "pending",
                },
            }
        ],
        "expense": [
            {
                "id": "FIN-88412",
                "title": "Client dinner, Hangzhou (receipts submitted)",
                "fields": {
                    "description": "Client dinner with Minghe Foods, Hangzhou",
                    "amount": "1000.00",
                    "currency": "CNY",
                    "incurred_on": "2026-11-12",
                    "status": "submitted",
                    "reference": "FIN-88412",
                },
            }
        ],
    },
    "dev@baton.example": {
        "approval": [
            {
                "id": "OA-2026-1203",
                "title": "Production database access for the billing migration",
                "fields": {
                    "system": "OA",
                    "reference": "OA-2026-1203",
                    "title": "Production database access for the billing migration",
                    "direction": "awaiting_my_action",
                    "status": "pending",
                },
            }
        ]
    },
}
COPY_FIELDS = {
    "approval": {
        name: name
        for name in ("system", "reference", "title", "direction", "amount", "status")
    },
    "expense": {
        name: name
        for name in (
            "description",
            "amount",
            "currency",
            "incurred_on",
            "status",
            "reference",
        )
    },
}

TRACKER_ISSUES = {
    "dev@baton.example": {
        "issue": [
            {
                "id": "BILL-214",
                "title": "BILL-214 Retry failed payment webhooks",
                "fields": {
                    "subject": "Retry failed payment webhooks with backoff",
                    "status": "in_progress",
                    "done": 60,
                    "url": "https://tracker.baton.example/issues/BILL-214",
                },
            },
            {
                "id": "OPS-77",
                "title": "OPS-77 Rotate the TLS certificates of the API gateway",
                "fields": {
                    "subject": "Rotate the TLS certificates before 15 January",
                    "status": "not_started",
                    "done": 0,
                    "url": "https://tracker.baton.example/issues/OPS-77",
                },
            },
        ]
    }
}
TRACKER_MAPPINGS = {
    "issue": {
        "description": "subject",
        "status": "status",
        "progress_percent": "done",
        "location": "url",
    }
}

# The messengers of ``make run`` (DEBUG on): set up to send notifications, which
# they print to the console (``demo``: connectors.messaging.channel.console_mode).
DEMO_MESSENGERS = [
    (
        "feishu-demo",
        "feishu",
        "Feishu (demo, prints to the console)",
        {"app_id": "cli_demo"},
    ),
    (
        "dingtalk-demo",
        "dingtalk",
        "DingTalk (demo, prints to the console)",
        {"app_key": "dingdemo", "agent_id": "1000001"},
    ),
    (
        "wecom-demo",
        "wecom",
        "WeCom (demo, prints to the console)",
        {"corp_id": "wwdemo", "agent_id": "1000002"},
    ),
]

DEMO_CONNECTORS = [
    ("crm", "CRM (sample)", {"records": CRM_DEALS, "mappings": CRM_MAPPINGS}),
    (
        "git",
        "Code hosting (sample)",
        {"records": GIT_REPOSITORIES, "mappings": GIT_MAPPINGS},
    ),
    (
        "oa",
        "OA and finance (sample)",
        {"records": OA_RECORDS, "mappings": COPY_FIELDS},
    ),
    (
        "tracker",
        "Issue tracker (sample)",
        {"records": TRACKER_ISSUES, "mappings": TRACKER_MAPPINGS},
    ),
]


def seed_connectors():
    """Create the demo connectors once; never overwrite an admin's changes."""
    ConnectorConfig.objects.get_or_create(
        slug="client-sheet",
        defaults={
            "type": "spreadsheet",
            "name": "Client list (spreadsheet)",
            "settings": {},
        },
    )
    for slug, name, settings in DEMO_CONNECTORS:
        ConnectorConfig.objects.get_or_create(
            slug=slug,
            defaults={
                "type": "sample",
                "name": name,
                "settings": settings,
                "sync_interval_minutes": 60,
                # Accepting a deal or repository moves it to the successor.
                "transfer_on_accept": True,
            },
        )
    if django_settings.DEBUG:
        seed_messengers()


def seed_messengers():
    """Feishu, DingTalk and WeCom connectors that print notifications."""
    for slug, type_slug, name, settings in DEMO_MESSENGERS:
        config, created = ConnectorConfig.objects.get_or_create(
            slug=slug,
            defaults={
                "type": type_slug,
                "name": name,
                "settings": {**settings, "send_notifications": True, "demo": True},
                "sync_interval_minutes": 0,
            },
        )
        if created:
            config.set_secrets({"app_secret": "demo", "secret": "demo"})
            config.save(update_fields=["secrets_ciphertext"])


CLIENTS_EXAMPLE = Path(__file__).parent / "static/connectors/demo/clients-example.csv"


def fill_demo_handover(*, handover, actor):
    """Import the example client spreadsheet into the handover's spreadsheet
    blocks, as a person would through the upload page."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .spreadsheet import (
        read_table,
        rows_to_records,
        suggest_id_column,
        suggest_mapping,
    )
    from .sync import connector_blocks, import_records

    for block in connector_blocks(handover):
        if block.connector is None or block.connector.type != "spreadsheet":
            continue
        upload = SimpleUploadedFile(CLIENTS_EXAMPLE.name, CLIENTS_EXAMPLE.read_bytes())
        table = read_table(upload, CLIENTS_EXAMPLE.name)
        records = rows_to_records(
            table,
            suggest_mapping(table.columns, block.record_kind),
            record_kind=block.record_kind,
            id_column=suggest_id_column(table.columns),
            namespace=block.block_id,
        )
        import_records(
            handover=handover, block_id=block.block_id, records=records, actor=actor
        )
