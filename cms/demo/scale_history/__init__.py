"""What happens around the scale company's handovers after ``seed_scale``.

``seed_scale`` plays each handover's items, questions and signatures. What the
rest of Baton does around them is written here, derived from those rows, so the
dashboard and the reports have years of history to read at scale:

- a certificate for every completed handover, issued 0-3 days after completion;
- the access inventory of every started handover (an account and group
  memberships in the company directory, now and then a system handled by
  hand), its changes planned when the decision is confirmed, run at the end of
  the last working day and read back (about 3 % fail), manual ones closed by IT;
- the residual-access checks at +1 and +30 days after the last working day;
- the leaver's answers to a share of the questions still open on returned items.

Set-based (``COPY``), deterministic (one seeded random generator per handover
or item) and idempotent: a handover that already has a certificate or access
grants, or a question that already has an answer, is left as it is. The audit
trail is not extended: its chains were signed at their checkpoints by the seed,
and the figures read these rows, not the trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from django.apps import apps
from django.db import connection, transaction

from cms.demo.scale import Copier, ScaleInfo, reset_sequences, table_ids
from cms.models import AuditChainCheckpoint, Certificate, Comment, Handover, Item
from cms.services.certificates import _ALPHABET

from .access import access_history
from .common import people_of, rng_for

__all__ = ["seed_history"]

ANSWERED = 0.4  # open questions the leaver has answered already
ANSWERS = (
    "The purchasing manager, see the notes.",
    "The contract is in the shared folder; I added the link.",
    "I asked the customer and wrote their answer in the notes.",
)
HANDOVER_FIELDS = (
    "id",
    "number",
    "state",
    "language",
    "last_working_day",
    "started_at",
    "review_started_at",
    "completed_at",
    "cancelled_at",
)


def seed_history(info: ScaleInfo, *, stdout=None) -> dict:
    """Write the history of the company ``info`` describes; returns the rows
    written per model and the seconds it took."""
    AccessGrant = apps.get_model("connectors", "AccessGrant")
    AccessAction = apps.get_model("connectors", "AccessAction")
    ResidualAccess = apps.get_model("connectors", "ResidualAccess")
    ConnectorConfig = apps.get_model("connectors", "ConnectorConfig")
    began = time.perf_counter()
    models = [Certificate, AccessGrant, AccessAction, ResidualAccess, Comment]
    with transaction.atomic():
        handovers = list(
            Handover.objects.filter(
                employee__employee_number__startswith=f"S{info.spec.seed}-"
            )
            .exclude(state=Handover.State.DRAFT)
            .order_by("pk")
            .values(*HANDOVER_FIELDS)
        )
        people = people_of([handover["id"] for handover in handovers])
        ids = table_ids(models)
        directory = ConnectorConfig.objects.get(slug=info.directory_connector_slug)
        with connection.cursor() as cursor:
            copier = Copier(cursor.cursor)
            copier.copy(Certificate, _certificates(info, handovers, ids[Certificate]))
            grants, actions, residual = access_history(
                info, handovers, people, ids, directory.pk
            )
            copier.copy(AccessGrant, grants)
            copier.copy(AccessAction, actions)
            copier.copy(ResidualAccess, residual)
            copier.copy(Comment, _answers(info, handovers, people, ids[Comment]))
        reset_sequences(models)
    # As after the seed: planner statistics and the visibility map, now.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'{command} "{model._meta.db_table}"')
    counts = {model._meta.label: copier.counts.get(model, 0) for model in models}
    seconds = time.perf_counter() - began
    if stdout is not None:
        stdout.write(
            f"History in {seconds:.1f} s: "
            + ", ".join(f"{label} {number}" for label, number in counts.items())
        )
    return {"seconds": seconds, "rows": counts}


# Certificates ------------------------------------------------------------------------


def _certificates(info: ScaleInfo, handovers, ids) -> list[dict]:
    completed = [h for h in handovers if h["state"] == Handover.State.COMPLETED]
    issued = set(
        Certificate.objects.filter(
            handover_id__in=[h["id"] for h in completed]
        ).values_list("handover_id", flat=True)
    )
    heads = dict(
        AuditChainCheckpoint.objects.filter(
            handover_id__in=[h["id"] for h in completed]
        ).values_list("handover_id", "head_hash")
    )
    codes = set(Certificate.objects.values_list("code", flat=True))
    rows = []
    for handover in completed:
        if handover["id"] in issued:
            continue
        rng = rng_for(info, "certificate", handover["id"])
        # Rendered by a background task at completion; a few waited for a
        # restarted worker or a font fix.
        point = rng.random()
        if point < 0.85:
            delay = dt.timedelta(seconds=rng.randint(5, 600))
        elif point < 0.95:
            delay = dt.timedelta(hours=rng.uniform(1, 24))
        else:
            delay = dt.timedelta(days=rng.uniform(1, 3))
        code = "-".join(
            "".join(rng.choice(_ALPHABET) for _ in range(4)) for _ in range(3)
        )
        while code in codes:
            code = code[:-1] + rng.choice(_ALPHABET)
        codes.add(code)
        rows.append(
            {
                "id": ids.take(),
                "handover_id": handover["id"],
                "code": code,
                "language": handover["language"],
                # A placeholder: no PDF is rendered for 3,000 certificates;
                # downloading one from this database answers "not found".
                "pdf": f"certificates/{handover['number']}-{code}.pdf",
                "pdf_sha256": hashlib.sha256(code.encode()).hexdigest(),
                "root_hash": heads.get(handover["id"], ""),
                "issued_at": min(handover["completed_at"] + delay, info.now),
            }
        )
    return rows


# Answers -----------------------------------------------------------------------------


def _answers(info: ScaleInfo, handovers, people, ids) -> list[dict]:
    """The filler's answer to a share of the questions open on returned items."""
    open_handovers = [h["id"] for h in handovers if h["state"] in Handover.OPEN_STATES]
    questions = (
        Comment.objects.filter(
            item__handover_id__in=open_handovers,
            item__state=Item.State.RETURNED,
            is_question=True,
            resolved_at__isnull=True,
            answers__isnull=True,
        )
        .order_by("pk")
        .values_list(
            "pk", "item_id", "item__handover_id", "item__filled_by_role", "created_at"
        )
    )
    rows = []
    for pk, item_id, handover_id, role, asked in questions:
        rng = rng_for(info, "answer", pk)
        fillers = people[handover_id].get(role)
        if not fillers or rng.random() >= ANSWERED:
            continue
        answered = asked + dt.timedelta(minutes=rng.uniform(20, 3 * 24 * 60))
        rows.append(
            {
                "id": ids.take(),
                "item_id": item_id,
                "author_id": fillers[0][0],
                "question_id": pk,
                "body": rng.choice(ANSWERS),
                "is_question": False,
                "resolved_at": None,
                "resolved_by_id": None,
                "created_at": min(answered, info.now - dt.timedelta(minutes=5)),
            }
        )
    return rows
