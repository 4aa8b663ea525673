"""``seed_scale``: the demo basics, the company, its templates and the plans
(``prepare``), the plans played and copied in (``play``), the audit chains'
checkpoints signed and the planner's statistics refreshed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import translation

from cms.demo.seed import seed as seed_demo
from cms.models import Employee
from cms.services.audit import chain_checkpoints_backfill

from .bulk import COPY_ORDER, Copier, Rows, reset_sequences, table_ids
from .company import People, company_create
from .connector_data import SYNC_MODELS, connectors_create
from .plans import company_plans
from .player import Player
from .spec import ScaleInfo, ScaleSpec, find_scale, root_department, scale_info
from .templates import templates_publish

__all__ = ["Prepared", "play", "prepare", "seed_scale", "written_models"]

LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
FLUSH_ROWS = 200_000  # rows held in memory before they are copied


def written_models():
    User = get_user_model()
    return [User, Employee, User.groups.through, *COPY_ORDER, *SYNC_MODELS]


@dataclass
class Prepared:
    """The company, its templates and the plans, ready to be played."""

    spec: ScaleSpec
    info: ScaleInfo
    people: People
    connectors: dict
    templates: dict
    plans: list
    permissions: dict

    def player(self, rows: Rows, ids: dict | None = None) -> Player:
        return Player(
            ids=ids or table_ids(written_models()),
            users=self.people.usernames,
            hr_admins={self.people.user_ids[number] for number in self.people.hr},
            permissions=self.permissions,
            templates=self.templates,
            rows=rows,
            connectors=self.connectors,
        )


def prepare(spec: ScaleSpec, *, say=lambda message: None) -> Prepared:
    """Everything but the handovers: the demo basics (groups, locales, the
    template library), the company, connectors, templates and the plans.
    Call inside a transaction."""
    User = get_user_model()
    info = scale_info(spec, spec.today)
    rng = random.Random(spec.seed)  # noqa: S311
    seed_demo()
    people_models = [User, Employee, User.groups.through]
    ids = table_ids(people_models)
    with connection.cursor() as cursor:
        people = company_create(spec, ids, Copier(cursor.cursor), rng, say)
    reset_sequences(people_models)
    connectors = connectors_create(spec, info)
    author = User.objects.get(pk=people.user_ids[people.hr[0]])
    templates = templates_publish(spec, info, author)
    say(f"  {len(templates)} templates published")
    return Prepared(
        spec=spec,
        info=info,
        people=people,
        connectors=connectors,
        templates=templates,
        plans=company_plans(spec, people, templates, rng),
        permissions=dict(
            Permission.objects.filter(
                content_type__app_label="cms", content_type__model="handover"
            ).values_list("codename", "pk")
        ),
    )


def play(prepared: Prepared, plans, *, say=lambda message: None) -> dict:
    """Play ``plans`` and copy their rows in; returns rows written per model."""
    began = time.perf_counter()
    rows = Rows()
    player = prepared.player(rows)
    leaving = []
    with connection.cursor() as cursor:
        copier = Copier(cursor.cursor)
        for count, plan in enumerate(plans, start=1):
            player.play(plan)
            if player.employee_status_change:
                leaving.append(plan.employee_id)
            if len(rows) > FLUSH_ROWS:
                copier.flush(rows, COPY_ORDER)
            if count % 500 == 0:
                say(f"  {count} handovers ({time.perf_counter() - began:.0f} s)")
        copier.flush(rows, COPY_ORDER)
    reset_sequences(written_models())
    Employee.objects.filter(pk__in=leaving, status=Employee.Status.ACTIVE).update(
        status=Employee.Status.LEAVING
    )
    return {model._meta.label: number for model, number in copier.counts.items()}


def seed_scale(spec: ScaleSpec, *, stdout=None) -> dict:
    """Generate the company of ``spec`` unless this database already holds it.
    Returns ``{"created": bool, "seconds": float, "rows": {...}, "info": ...}``."""

    def say(message):
        if stdout is not None:
            stdout.write(message)

    began = time.perf_counter()
    spec.validate()
    found = root_department(spec.seed)
    if found is not None:
        if found.code != spec.marker:
            raise ValueError(
                f"This database holds seed {spec.seed} at another size "
                f"({found.code}); use another database or another --seed."
            )
        return {
            "created": False,
            "seconds": time.perf_counter() - began,
            "info": find_scale(spec.seed),
        }
    # The demo basics first, in a transaction of their own: the emails about
    # the demo handover go nowhere.
    with override_settings(EMAIL_BACKEND=LOCMEM_EMAIL):
        seed_demo()
    with transaction.atomic(), translation.override("en"):
        prepared = prepare(spec, say=say)
        counts = play(prepared, prepared.plans, say=say)
        # The chains were copied in bulk: the server signs their checkpoints
        # as audit_record would have, one by one.
        chain_checkpoints_backfill()
        _search_index(prepared.people)
    # What autovacuum would do soon after a bulk load, done now: planner
    # statistics and the visibility map (index-only scans) for the new rows.
    say(f"  copied in {time.perf_counter() - began:.0f} s; VACUUM ANALYZE")
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in written_models():
            cursor.execute(f'{command} "{model._meta.db_table}"')
    seconds = time.perf_counter() - began
    say(
        f"Seeded in {seconds:.1f} s: "
        + ", ".join(f"{label} {number}" for label, number in counts.items())
    )
    return {"created": True, "seconds": seconds, "rows": counts, "info": prepared.info}


def _search_index(people: People):
    """Index the employees the way saving them in the admin does."""
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    ids = people.employee_ids[1:]
    for start in range(0, len(ids), 2_000):
        batch = list(Employee.objects.filter(pk__in=ids[start : start + 2_000]))
        backend.add_bulk(Employee, batch)
