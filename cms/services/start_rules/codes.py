"""Why a start is refused, as machines read it (``ResignationEvent.refusal_code``)."""

__all__ = [
    "ALREADY_OPEN",
    "DATES_MISSING",
    "LAST_DAY_BEFORE_RESIGNATION",
    "MALFORMED",
    "NOT_ALLOWED",
    "NO_IT",
    "NO_MANAGER",
    "NO_SUCCESSOR",
    "NO_TEMPLATE",
    "NO_USER_ACCOUNT",
    "REFUSAL_CODES",
    "TEMPLATE_LOCALE",
    "UNKNOWN_EMPLOYEE",
    "UNKNOWN_PERSON",
]

UNKNOWN_EMPLOYEE = "unknown_employee"
DATES_MISSING = "dates_missing"
LAST_DAY_BEFORE_RESIGNATION = "last_day_before_resignation"
ALREADY_OPEN = "already_open"
TEMPLATE_LOCALE = "template_locale"
NO_TEMPLATE = "no_template"
NO_SUCCESSOR = "no_successor"
NO_USER_ACCOUNT = "no_user_account"
NO_MANAGER = "no_manager"
NO_IT = "no_it"
UNKNOWN_PERSON = "unknown_person"
NOT_ALLOWED = "not_allowed"
MALFORMED = "malformed"
REFUSAL_CODES = (
    UNKNOWN_EMPLOYEE,
    DATES_MISSING,
    LAST_DAY_BEFORE_RESIGNATION,
    ALREADY_OPEN,
    TEMPLATE_LOCALE,
    NO_TEMPLATE,
    NO_SUCCESSOR,
    NO_USER_ACCOUNT,
    NO_MANAGER,
    NO_IT,
    UNKNOWN_PERSON,
    NOT_ALLOWED,
    MALFORMED,
)
