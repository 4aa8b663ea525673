"""What the person asked the handover page for, read from and written back to
the URL (so every view is bookmarkable and the back button works), and which
page of the matching items they are on."""

from dataclasses import dataclass
from urllib.parse import urlencode

from .forms import ItemFilterForm

__all__ = ["NO_SECTION", "ONE_PAGE_UP_TO", "PAGE_SIZE", "Filters", "Pager"]

# Up to this many items a handover is one page (the demo's 17, most templates):
# everything stays in reach of the browser's find. Beyond, pages of PAGE_SIZE
# keep the HTML, the server's work and the live refreshes bounded.
ONE_PAGE_UP_TO = 100
PAGE_SIZE = 50
# The ``?section=`` of items outside any section (block ids are UUIDs).
NO_SECTION = "other"


@dataclass(frozen=True)
class Filters:
    """What the person asked to see, read from the URL (invalid parts ignored)."""

    q: str = ""
    section: str = ""
    state: str = ""
    mine: bool = False
    page: int = 1

    @classmethod
    def from_query(cls, query) -> "Filters":
        form = ItemFilterForm(query)
        form.is_valid()  # only the valid fields reach cleaned_data
        cleaned = form.cleaned_data
        return cls(
            q=(cleaned.get("q") or "").strip(),
            section=cleaned.get("section") or "",
            state=cleaned.get("state") or "",
            mine=bool(cleaned.get("mine")),
            page=cleaned.get("page") or 1,
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.section or self.state or self.mine)

    @property
    def only_visible(self) -> bool:
        """A state or "waiting for me" asks about items that need handing over."""
        return self.mine or (self.state and self.state != ItemFilterForm.HIDDEN)

    def query(self, **changes) -> str:
        """``?…`` of these filters with ``changes`` (``""`` when all default)."""
        values = {
            "q": self.q,
            "section": self.section,
            "state": self.state,
            "mine": "1" if self.mine else "",
            "page": self.page if self.page != 1 else "",
        }
        values.update(changes)
        pairs = [(key, value) for key, value in values.items() if value not in ("", 1)]
        return f"?{urlencode(pairs)}" if pairs else ""


@dataclass
class Pager:
    count: int
    number: int
    size: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def end(self) -> int:
        return min(self.start + self.size, self.count)

    @property
    def first_shown(self) -> int:
        return self.start + 1 if self.count else 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1
