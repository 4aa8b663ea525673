# Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001
"""Scenario 7: the same handover, start to certificate, by people whose
browsers speak Chinese: every screen in zh-Hans, and a Chinese certificate."""

import datetime
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from cms.models import Handover

from .flows import PASSWORD, publish_shop_template

CHINA = "zh-CN"
# English a person would notice if the Chinese interface let it through.
ENGLISH_UI = (
    "My handovers",
    "Save draft",
    "Save and submit",
    "Filled in by",
    "Confirmed by",
    "Attachments",
    "Questions and answers",
    "Sign final declaration",
    "Return with a question",
    "Approve handover",
    "Signatures",
    "Participants",
    "Last working day",
    "Start a handover",
    "Certificate (PDF)",
    "Verification code",
)
PROOF = {
    "name": "还车单.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.4\n% car returned\n%%EOF\n",
}


def assert_chinese(page):
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    text = page.locator("body").inner_text()
    leaked = [phrase for phrase in ENGLISH_UI if phrase in text]
    assert not leaked, f"English on a Chinese page ({page.url}): {leaked}"


def submit(article):
    article.get_by_role("button", name="保存并提交").click()
    expect(article.locator(".p-state")).to_have_text("已提交")


def sign_with_password(page, dialog_name, button):
    dialog = page.get_by_role("dialog", name=dialog_name)
    dialog.get_by_role("textbox", name="你的密码").fill(PASSWORD)
    dialog.get_by_role("button", name=button, exact=True).click()


def test_the_whole_handover_in_chinese(journey, tmp_path):
    template = publish_shop_template("zh-hans")

    hr = journey.person("hr", locale=CHINA)
    admin = journey.sign_in(hr, "/admin/")
    admin.get_by_role("navigation").get_by_role("link", name="交接单").click()
    admin.get_by_role("link", name="发起交接").first.click()
    expect(admin.locator(".ts-wrapper").first).to_be_visible()
    admin.get_by_role("combobox", name=re.compile(r"^员工")).fill("E0005")
    admin.get_by_role("option", name=re.compile(r"Chen Fang \(E0005\)")).click()
    admin.get_by_label("模板").select_option(value=str(template.pk))
    admin.get_by_role("combobox", name=re.compile(r"^接交人")).fill("successor")
    admin.get_by_role("option", name=re.compile(r"Yang Jing \(successor\)")).click()
    admin.get_by_role("combobox", name=re.compile(r"^上级")).fill("manager")
    admin.get_by_role("option", name=re.compile(r"Zhang Wei \(manager\)")).click()
    last_day = admin.get_by_label("最后工作日")
    last_day.fill((datetime.date.today() + datetime.timedelta(days=30)).isoformat())
    assert_chinese(admin)
    journey.step(hr, "starts the handover")
    admin.get_by_role("button", name="发起交接").press("Enter")
    started = admin.get_by_text(re.compile(r"已为Chen Fang发起交接单 HO-[\d-]+。"))
    expect(started).to_be_visible()
    handover = Handover.objects.get(employee__user__username="sales")
    expect(started).to_contain_text(handover.number)
    journey.step(hr, "the handover is started")

    address = f"/zh-hans/handovers/{handover.pk}/"
    leaver = journey.person("sales", phone=True, locale=CHINA)
    page = journey.sign_in(leaver, address)
    expect(page.get_by_text(f"{handover.number} · 店长离职交接")).to_be_visible()
    assert_chinese(page)
    journey.step(leaver, "opens the handover")
    clients = page.get_by_role("article", name="门店客户")
    clients.get_by_role("group", name="联系人").get_by_role(
        "textbox", name="姓名"
    ).fill("徐梅")
    submit(clients)
    account = page.get_by_role("article", name="收银系统管理员账号")
    account.get_by_role("textbox", name="账号", exact=True).fill("shop-admin")
    submit(account)
    question = page.get_by_role("article", name="是否有公司配车？")
    question.get_by_role("radio", name="是").check()
    submit(question)
    car = page.get_by_role("article", name="归还公司车辆")
    car.get_by_label("文件").set_input_files(files=[PROOF])
    car.get_by_role("button", name="上传").click()
    expect(car.get_by_role("link", name=PROOF["name"])).to_be_visible()
    submit(car)
    assert_chinese(page)
    journey.step(leaver, "has submitted everything")
    page.get_by_role("button", name="签署最终声明").click()
    sign_with_password(page, "签署最终声明", "签署")
    expect(page.get_by_role("region", name="签署记录")).to_contain_text("最终声明")
    journey.step(leaver, "has signed the declaration")

    successor = journey.person("successor", locale=CHINA)
    theirs = journey.sign_in(successor, address)
    assert_chinese(theirs)
    for label in ("门店客户", "收银系统管理员账号", "是否有公司配车？", "归还公司车辆"):
        item = theirs.get_by_role("article", name=label)
        item.get_by_role("button", name="接收", exact=True).click()
        sign_with_password(theirs, "接收此交接项", "签署并接收")
        expect(item.locator(".p-state")).to_have_text("已接收")
    expect(theirs.get_by_text("全部内容已移交：现在由上级审核。")).to_be_visible()
    journey.step(successor, "has accepted everything")

    manager = journey.person("manager", locale=CHINA)
    review = journey.sign_in(manager, address)
    review.get_by_role("button", name="批准交接").click()
    sign_with_password(review, "批准交接", "签署并批准")
    expect(review.locator(".p-header .p-state")).to_have_text("已完成")
    certificate = review.get_by_role("region", name="离职交接完成证明")
    assert_chinese(review)
    journey.step(manager, "has approved")

    with review.expect_download() as download:
        certificate.get_by_role("link", name="证明（PDF）").click()
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    text = "".join(part.extract_text() for part in PdfReader(pdf).pages)
    for words in ("离职交接完成证明", "店长离职交接", "归还公司车辆", handover.number):
        assert words in text, f"{words!r} is not in the certificate"

    certificate.get_by_role("link", name=handover.certificate.code).click()
    expect(review.get_by_role("heading", name="证明有效")).to_be_visible()
    journey.step(manager, "the verification page says valid")
