"""Demo connectors for ``make run``: built-in sample sources, so a new user sees
connector blocks filled without any external system."""

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

DEMO_CONNECTORS = [
    ("crm", "CRM (sample)", {"records": CRM_DEALS, "mappings": CRM_MAPPINGS}),
    (
        "git",
        "Code hosting (sample)",
        {"records": GIT_REPOSITORIES, "mappings": GIT_MAPPINGS},
    ),
]


def seed_connectors():
    """Create the demo connectors once; never overwrite an admin's changes."""
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
