"""The provenance rule: ``Employee.provenance`` maps a field to who set it last;
a field a person typed is theirs, and the directory no longer overwrites it."""

from django.utils import timezone

from cms.models import Employee

__all__ = ["PERSON", "employee_record_edit", "now_stamp", "typed_by_person"]

PERSON = "person"


def now_stamp() -> str:
    """When, in the form provenance entries keep."""
    return timezone.now().isoformat()


def employee_record_edit(*, actor, employee: Employee, changed_fields: list[str]):
    """A person saved these fields of the record (the admin's create and edit
    views call this after saving): the directory no longer overwrites them,
    and what it said instead is forgotten."""
    if not changed_fields:
        return
    stamp = {"source": PERSON, "at": now_stamp(), "by": getattr(actor, "pk", None)}
    provenance = dict(employee.provenance or {})
    for name in changed_fields:
        provenance[name] = dict(stamp)
    employee.provenance = provenance
    Employee.objects.filter(pk=employee.pk).update(provenance=provenance)


def typed_by_person(employee: Employee, name: str) -> bool:
    """A person set this field last: the directory keeps its value aside."""
    return (employee.provenance or {}).get(name, {}).get("source") == PERSON
