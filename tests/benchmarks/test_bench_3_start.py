"""3. Starting a handover from a 300-block template (the synchronous part: the
background fill is queued on commit, and every run here is rolled back),
against a bulk insert (COPY) of the same item rows."""

import datetime

from django.contrib.auth import get_user_model
from psycopg.types.json import Jsonb

from cms import services
from cms.models import ChecklistTemplatePage, Employee, Handover, Item

from .harness import (
    Result,
    count_queries,
    record,
    repeat,
    rolled_back,
    timed,
    timed_in_rollback,
)

ITEM_COLUMNS = [
    field.column for field in Item._meta.concrete_fields if field.column != "id"
]


def _free_employees(count):
    """Employees with a manager and no handover yet: fresh leavers."""
    busy = Handover.objects.values("employee_id")
    return list(
        Employee.objects.filter(
            manager__user__isnull=False, user__isnull=False, reports__isnull=True
        )
        .exclude(pk__in=busy)
        .select_related("user", "manager__user")
        .order_by("-pk")[:count]
    )


def test_start_from_a_300_block_template(scale, raw):
    template = ChecklistTemplatePage.objects.get(
        slug=scale.template_slugs["blocks-300"]
    )
    hr = get_user_model().objects.get(username=scale.hr_username)
    employee, successor_employee = _free_employees(2)
    it_user = get_user_model().objects.filter(groups__name="IT").first()

    def start():
        return services.handover_start(
            actor=hr,
            employee=employee,
            template=template,
            last_working_day=scale.today + datetime.timedelta(days=30),
            resignation_date=scale.today,
            successors=[successor_employee.user],
            manager=employee.manager.user,
            it_users=[it_user],
        )

    with rolled_back():
        handover = start()
        rows = list(
            Item.objects.filter(handover=handover)
            .order_by("position")
            .values_list(*[field.attname for field in Item._meta.concrete_fields][1:])
        )
    assert len(rows) == 300

    # The same rows, copied into an existing handover (block ids made unique).
    target = Handover.objects.exclude(template=template).order_by("pk").first()
    block_index = [field.attname for field in Item._meta.concrete_fields][1:].index(
        "block_id"
    )
    handover_index = [field.attname for field in Item._meta.concrete_fields][1:].index(
        "handover_id"
    )
    copies = []
    for row in rows:
        row = list(row)
        row[handover_index] = target.pk
        row[block_index] = f"bench-{row[block_index]}"[:64]
        copies.append(row)

    json_columns = {
        index
        for index, field in enumerate(Item._meta.concrete_fields[1:])
        if field.get_internal_type() == "JSONField"
    }
    copies = [
        [
            Jsonb(value) if index in json_columns else value
            for index, value in enumerate(row)
        ]
        for row in copies
    ]

    def baseline():
        with raw.cursor() as cursor:
            columns = ", ".join(f'"{column}"' for column in ITEM_COLUMNS)
            with cursor.copy(f"COPY cms_item ({columns}) FROM STDIN") as copy:
                for row in copies:
                    copy.write_row(row)
        raw.rollback()

    subject = timed_in_rollback(start, times=repeat(20), warmup=2)
    queries = count_queries(start)
    result = record(
        Result(
            number="3",
            name="Start a handover, 300-block template",
            subject=subject,
            queries=queries,
            baseline_name="COPY of the 300 item rows",
            baseline=timed(baseline, times=repeat(20)),
            baseline_queries=1,
            target="≤ 150 ms, constant queries",
            extra={"queries_are_constant": "see tests/test_query_counts.py"},
        )
    )
    result.met = subject.median_ms <= 150
