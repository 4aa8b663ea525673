"""What a directory says about a person: the values connectors list
(``connectors.sdk.directory``), so this module imports no models."""

from dataclasses import dataclass
from datetime import date

__all__ = ["DirectoryValues"]


@dataclass(frozen=True)
class DirectoryValues:
    """What a directory says about one person (all optional but the id)."""

    directory_id: str
    employee_number: str = ""
    name: str = ""
    email: str = ""
    department_code: str = ""
    department_name: str = ""
    position: str = ""
    manager_directory_id: str = ""
    phone: str = ""
    status: str = "active"  # "active" | "leaving" | "disabled"
    last_working_day: date | None = None
