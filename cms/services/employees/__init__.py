"""Employee records and the company directory: the directory creates and
updates records, and what a person typed is never overwritten silently.

The provenance rule lives in this package only: ``Employee.provenance`` maps a field to
who set it last (``{"source": "person" | "directory:<slug>", "at": iso,
"by": user id}``). A field a person typed keeps their value; what the
directory says instead is kept aside in ``provenance[field]["directory_value"]``
for HR to see and decide.

The package: ``provenance`` (the rule, and a person's edits), ``values`` (what
a directory says; no models, so connector types list it), ``matching`` (people
to records, departments by code or name) and ``directory`` (the set-based
writes, and what applying did).
"""

from .directory import BATCH_SIZE, DirectoryApplyResult, employees_apply_directory
from .provenance import employee_record_edit
from .values import DirectoryValues

__all__ = [
    "BATCH_SIZE",
    "DirectoryApplyResult",
    "DirectoryValues",
    "employee_record_edit",
    "employees_apply_directory",
]
