# Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001
"""What the scenarios start from, set up through the services (the one write
path) so each browser test begins where the person it follows begins."""

import datetime
import uuid

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from cms import services
from cms.demo.content import T, item, localise, section
from cms.models import (
    ChecklistTemplatePage,
    Department,
    Employee,
    Handover,
    Role,
    TemplateIndexPage,
)

PASSWORD = "baton-demo"
SHOP_SLUG = "shop-manager"

# The template HR builds in the admin scenario, in both languages.
SHOP_TITLE = T("Shop manager handover", "店长离职交接")
SHOP_SECTION = T("The shop", "门店")
CLIENT_LABEL = T("Shop clients", "门店客户")
ACCOUNT_LABEL = T("POS admin account", "收银系统管理员账号")
FIELD_LABEL = T("Has a company car?", "是否有公司配车？")
ASSET_LABEL = T("Return the car", "归还公司车辆")
ON_CAR = {"field_key": "has_car", "operator": "is_yes", "value": ""}

SHOP_BODY = [
    section(
        SHOP_SECTION,
        T("Everything about the flagship shop.", "旗舰店的全部交接事项。"),
        item("client", CLIENT_LABEL, customer=T("ACME Trading", "艾克美贸易")),
        item("account", ACCOUNT_LABEL, system="POS"),
        item("field", FIELD_LABEL, key="has_car", field_type="yes_no"),
        item("asset", ASSET_LABEL, evidence="required", condition=ON_CAR),
    )
]


def users():
    return {user.username: user for user in get_user_model().objects.all()}


def _with_block_ids(blocks):
    """Stream values with fresh block ids, as the page editor gives them."""
    result = []
    for kind, value in blocks:
        if kind == "section":
            value = {**value, "items": _with_block_ids(value["items"])}
        result.append({"type": kind, "value": value, "id": str(uuid.uuid4())})
    return result


def publish_shop_template(language="en") -> ChecklistTemplatePage:
    """The shop template as HR built it and the HR head approved it."""
    people = users()
    index = TemplateIndexPage.objects.get(locale__language_code=language)
    page = ChecklistTemplatePage(
        title=localise(SHOP_TITLE, language),
        slug=SHOP_SLUG,
        role=Role.objects.get(code="sales"),
        description="",
        body=_with_block_ids(localise(SHOP_BODY, language)),
    )
    index.add_child(instance=page)
    page.departments.set(Department.objects.filter(code="sales"))
    page.save_revision(user=people["hrhead"]).publish(user=people["hrhead"])
    return ChecklistTemplatePage.objects.get(pk=page.pk)


def start_shop_handover(language="en") -> Handover:
    """HR has started the shop handover for `sales`: `successor` takes over,
    `manager` approves."""
    people = users()
    template = publish_shop_template(language)
    return services.handover_start(
        actor=people["hr"],
        employee=Employee.objects.get(user=people["sales"]),
        template=template,
        resignation_date=datetime.date.today(),
        last_working_day=datetime.date.today() + datetime.timedelta(days=14),
        successors=[people["successor"]],
        manager=people["manager"],
    )


def item_named(handover, label):
    return handover.items.get(label=label)


CLIENT_DATA = {
    "contact_person": {
        "name": "Xu Mei",
        "title": "Head of purchasing",
        "phone": "+86 21 5555 0101",
        "email": None,
    }
}
ACCOUNT_DATA = {"account_id": "shop-admin"}
ASSET_DATA = {"asset_tag": "CAR-0042"}


def leaver_submits(handover, label, data=None, *, attachment=None):
    """The leaver fills ``label`` (merging ``data``) and submits it."""
    leaver = users()["sales"]
    item = item_named(handover, label)
    if data is not None:
        item = services.item_update(
            actor=leaver, item=item, version=item.version, data=data
        )
    if attachment is not None:
        services.attachment_add(
            actor=leaver,
            item=item,
            uploaded_file=SimpleUploadedFile(
                "receipt.pdf", attachment, content_type="application/pdf"
            ),
        )
        item.refresh_from_db()
    return services.item_submit(actor=leaver, item=item, version=item.version)


def leaver_submits_everything(handover, *, but=()):
    """Every item of the shop template filled in and submitted, except those
    labelled ``but`` (English labels)."""
    language = handover.template.locale.language_code
    for label, data, attachment in (
        (CLIENT_LABEL, CLIENT_DATA, None),
        (ACCOUNT_LABEL, ACCOUNT_DATA, None),
        (FIELD_LABEL, {"value": True}, None),
        (ASSET_LABEL, ASSET_DATA, b"%PDF-1.4 car returned\n%%EOF\n"),
    ):
        if label.en not in but:
            leaver_submits(
                handover, localise(label, language), data, attachment=attachment
            )


def declared_and_accepted(handover):
    """The leaver has declared and the successor accepted every item: the
    handover waits for the manager."""
    people = users()
    leaver_submits_everything(handover)
    services.handover_declare(
        actor=people["sales"], handover=handover, password=PASSWORD
    )
    for each in handover.items.order_by("position"):
        services.item_accept(
            actor=people["successor"],
            item=each,
            version=each.version,
            password=PASSWORD,
        )
    handover.refresh_from_db()
    return handover
