"""Questions: which template blocks cause successors to return items and ask."""

from django.db.models import CharField, Count, F, Func, Max, Q, Value
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext_lazy as _

from cms.models import Comment, Item, Signature

from .grouping import scoped
from .model import Chart, Column, Report, Series

__all__ = ["CHART_ROWS", "DESCRIPTION", "TITLE", "compute"]

TITLE = _("Questions")
DESCRIPTION = _(
    "Per template block: items returned with a question in the period (and how "
    "many returns), questions asked in the period, and the share of that "
    "block's items returned — out of its items in handovers open at some time "
    "in the period. Items a connector brought in count under their connector "
    "block. Sorted by items returned; the chart shows the top 15."
)
CHART_ROWS = 15


def _block(prefix: str):
    """The template block an item came from: items a connector or the access
    review made are keyed ``<block id>:<record>``, the rest by the block id —
    what comes before the first colon, if any (PostgreSQL's ``split_part``: one
    call for each of the hundreds of thousands of items counted)."""
    return Func(
        F(f"{prefix}block_id"),
        Value(":"),
        Value(1),
        function="SPLIT_PART",
        output_field=CharField(),
    )


def _label(item: dict) -> str:
    """A record item's label is the record's: a connector block's own label is
    in the item's snapshot of it; the access review's items go by its section."""
    if ":" not in item["block_id"]:
        return item["label"]
    if item["kind"] == "connector_list" and item["block_label"]:
        return item["block_label"]
    return item["section_title"]


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def compute(scope, filters) -> Report:
    period = {"gte": filters.since, "lt": filters.until}
    returns = (
        scoped(scope, filters, Signature.objects.all(), "handover__")
        .filter(
            decision=Signature.Decision.RETURN,
            item__isnull=False,
            signed_at__gte=period["gte"],
            signed_at__lt=period["lt"],
        )
        .values(template=F("handover__template_id"), block=_block("item__"))
        .annotate(
            # Rows, not ids: the partial index of returns holds every other
            # column read here, so the signatures are not read at all.
            returns=Count("*"),
            items=Count("item_id", distinct=True),
            sample=Max("item_id"),
        )
        .order_by()
    )
    questions = (
        scoped(scope, filters, Comment.objects.all(), "item__handover__")
        .filter(
            is_question=True,
            created_at__gte=period["gte"],
            created_at__lt=period["lt"],
        )
        .values(template=F("item__handover__template_id"), block=_block("item__"))
        .annotate(questions=Count("pk"), sample=Max("item_id"))
        .order_by()
    )
    figures: dict = {}
    for row in returns:
        figures.setdefault((row["template"], row["block"]), {}).update(
            items_returned=row["items"], returns=row["returns"], sample=row["sample"]
        )
    for row in questions:
        found = figures.setdefault((row["template"], row["block"]), {})
        found["questions"] = row["questions"]
        found.setdefault("sample", row["sample"])

    rows = []
    if figures:
        # Open at some time in the period: started before it ended, and not
        # closed before it began. Counting block ids alone reads an index only.
        active = Q(handover__started_at__lt=period["lt"]) & (
            Q(handover__completed_at__isnull=True, handover__cancelled_at__isnull=True)
            | Q(handover__completed_at__gte=period["gte"])
            | Q(handover__cancelled_at__gte=period["gte"])
        )
        totals = {
            (row["template"], row["block"]): row["total"]
            for row in scoped(scope, filters, Item.objects.all(), "handover__")
            .filter(active, handover__template_id__in={key[0] for key in figures})
            .values(template=F("handover__template_id"), block=_block(""))
            .annotate(total=Count("block_id"))
            .order_by()
        }
        # Names as one item of each block shows them.
        samples = {
            item["pk"]: item
            for item in Item.objects.filter(
                pk__in=[found["sample"] for found in figures.values()]
            )
            .annotate(block_label=KeyTextTransform("label", "definition"))
            .values(
                "pk",
                "block_id",
                "kind",
                "label",
                "section_title",
                "block_label",
                template_title=F("handover__template__title"),
            )
            .order_by()
        }
        for key, found in figures.items():
            sample = samples[found["sample"]]
            rows.append(
                {
                    "template": sample["template_title"],
                    "section": sample["section_title"],
                    "label": _label(sample),
                    "block_id": key[1],
                    "items_returned": found.get("items_returned", 0),
                    "returns": found.get("returns", 0),
                    "questions": found.get("questions", 0),
                    "share_returned": _share(
                        found.get("items_returned", 0), totals.get(key, 0)
                    ),
                }
            )
    rows.sort(
        key=lambda row: (
            -row["items_returned"],
            -row["returns"],
            -row["questions"],
            str(row["template"]),
            str(row["label"]),
        )
    )
    top = rows[:CHART_ROWS]
    return Report(
        key="questions",
        title=TITLE,
        description=DESCRIPTION,
        filters=filters,
        summary=[
            (_("Items returned"), sum(row["items_returned"] for row in rows), ""),
            (_("Returns"), sum(row["returns"] for row in rows), ""),
            (_("Questions asked"), sum(row["questions"] for row in rows), ""),
            (_("Blocks with returns or questions"), len(rows), ""),
        ],
        chart=Chart(
            kind="hbar",
            labels=[f"{row['label']} · {row['template']}" for row in top],
            series=[
                Series(
                    label=_("Items returned"),
                    data=[row["items_returned"] for row in top],
                ),
                Series(
                    label=_("Questions asked"), data=[row["questions"] for row in top]
                ),
            ],
        ),
        columns=[
            Column("template", _("Template")),
            Column("section", _("Section")),
            Column("label", _("Item")),
            Column("block_id", _("Block id")),
            Column("items_returned", _("Items returned"), "int"),
            Column("returns", _("Returns"), "int"),
            Column("questions", _("Questions asked"), "int"),
            Column("share_returned", _("Share of items returned"), "percent"),
        ],
        rows=rows,
    )
