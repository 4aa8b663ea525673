"""The completion certificate PDF: content, Chinese glyphs, paging, no fetching."""

import io
import re
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.utils import translation
from pypdf import PdfReader

from reports.certificates import (
    OfflineURLFetcher,
    RefusedURLError,
    css_string,
    format_datetime,
    render_certificate_pdf,
    render_html_to_pdf,
)
from tests.fixtures.certificates import make_certificate, with_item_summary

REMOTE_IMAGE = '<img src="http://example.com/x.png">'


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _squash(text: str) -> str:
    """Text without whitespace: table cells wrap lines anywhere (CJK anywhere)."""
    return re.sub(r"\s+", "", text)


def _all_items(certificate):
    return [item for section in certificate.sections for item in section.items]


def _font_names(pdf: bytes) -> set[str]:
    names = set()

    def collect(resources):
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if "/Resources" in xobject:
                collect(xobject["/Resources"])

    for page in PdfReader(io.BytesIO(pdf)).pages:
        collect(page.get("/Resources"))
    return names


def _image_count(pdf: bytes) -> int:
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        for xobject in xobjects.values():
            if xobject.get_object().get("/Subtype") == "/Image":
                count += 1
    return count


@pytest.fixture(scope="module")
def english():
    certificate = make_certificate(12, "en")
    return certificate, render_certificate_pdf(certificate)


@pytest.fixture(scope="module")
def chinese():
    certificate = make_certificate(12, "zh-hans")
    return certificate, render_certificate_pdf(certificate)


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything opens a URL through urllib."""
    opened = []

    def refuse(self, url, *args, **kwargs):
        opened.append(getattr(url, "full_url", url))
        raise AssertionError(f"tried to open {url!r}")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)
    return opened


def test_pdf_is_a4():
    pdf = render_certificate_pdf(make_certificate(2, "en"))

    assert pdf.startswith(b"%PDF-")
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert round(float(box.width)) == 595
    assert round(float(box.height)) == 842


def test_english_certificate_lists_everything(english):
    certificate, pdf = english
    text = "\n".join(_pages(pdf))
    squashed = _squash(text)

    assert "Handover completion certificate" in text
    for expected in [
        certificate.handover_number,
        certificate.employee_name,
        certificate.employee_number,
        certificate.department,
        certificate.template_title,
        certificate.verification_code,
        certificate.verification_url,
        certificate.root_hash,
        certificate.declaration.signer_name,
        certificate.approval.signer_name,
    ]:
        assert _squash(expected) in squashed, expected
    for item in _all_items(certificate):
        assert _squash(item.label) in squashed, item.label
        for signature in item.signatures:
            assert _squash(signature.signer_name) in squashed
            assert signature.content_hash[:12] in squashed
    for section in certificate.sections:
        assert _squash(section.title) in squashed


def test_english_certificate_has_no_chinese_labels(english):
    _certificate, pdf = english
    text = "\n".join(_pages(pdf))

    assert not re.search(r"[\u4e00-\u9fff]", text)


def test_times_are_shown_in_the_certificate_time_zone(english):
    certificate, pdf = english
    text = "\n".join(_pages(pdf))

    # COMPLETED_AT is 09:45 UTC: 17:45 in Asia/Shanghai, in English's format.
    assert certificate.completed_at.hour == 9
    assert "March 12, 2026, 5:45 p.m. UTC+08:00" in text
    assert "Asia/Shanghai (UTC+08:00)" in text
    assert "March 13, 2026" in text  # the last working day
    assert "2026-03-12" not in text


def test_chinese_times_use_the_chinese_format(chinese):
    _certificate, pdf = chinese
    squashed = _squash("\n".join(_pages(pdf)))

    assert "完成时间2026年3月12日17:45UTC+08:00" in squashed
    assert "最后工作日2026年3月13日" in squashed
    # Signature times too: the first successor signed at 01:30 UTC.
    assert "2026年3月4日09:30UTC+08:00" in squashed
    assert "p.m." not in squashed


def test_format_datetime_uses_the_zone_and_the_language():
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 7, 1, 9, 45, tzinfo=UTC)

    with translation.override("en"):
        assert format_datetime(moment, ZoneInfo("Asia/Shanghai")) == (
            "July 1, 2026, 5:45 p.m. UTC+08:00"
        )
        assert format_datetime(moment, ZoneInfo("Europe/London")) == (
            "July 1, 2026, 10:45 a.m. UTC+01:00"
        )
    with translation.override("zh-hans"):
        assert format_datetime(moment, ZoneInfo("Asia/Shanghai")) == (
            "2026年7月1日 17:45 UTC+08:00"
        )


def test_a_bilingual_certificate_prints_both_languages():
    certificate = replace(make_certificate(6, "zh-hans"), second_language="en")

    squashed = _squash("\n".join(_pages(render_certificate_pdf(certificate))))

    for chinese, english in [
        ("离职交接完成证明", "Handovercompletioncertificate"),
        ("最后工作日", "Lastworkingday"),
        ("最终内容", "Finalcontent"),
        ("上级审批", "Approvalbythemanager"),
        ("验证码", "Verificationcode"),
        ("扫描二维码", "ScantheQRcode"),
        ("全部事项均已按下列记录移交并签署", "everyitemhandedoverandsigned"),
    ]:
        assert chinese in squashed, chinese
        assert english in squashed, english
        assert squashed.index(chinese) < squashed.index(english)
    assert "第1/" in squashed  # page numbers in the first language only
    assert "Page1/" not in squashed


def test_a_second_language_must_be_supported():
    certificate = replace(make_certificate(1, "en"), second_language="fr")

    with pytest.raises(ValueError, match="language"):
        render_certificate_pdf(certificate)


def test_chinese_certificate_has_extractable_chinese_text(chinese):
    certificate, pdf = chinese
    text = "\n".join(_pages(pdf))
    squashed = _squash(text)

    assert "离职交接完成证明" in squashed
    for label in ["接交人", "最后工作日", "验证码", "审计链根哈希", "上级审批"]:
        assert label in squashed, label
    assert "Handover completion certificate" not in text
    for item in _all_items(certificate):
        assert _squash(item.label) in squashed, item.label
        assert _squash(item.summary) in squashed, item.summary
    assert _squash(certificate.employee_name) in squashed
    assert certificate.root_hash in squashed


def test_chinese_certificate_embeds_the_wenquanyi_font(chinese):
    _certificate, pdf = chinese

    fonts = _font_names(pdf)

    assert any("WenQuanYi" in name for name in fonts), fonts


def test_300_items_span_pages_numbered_x_of_y():
    certificate = make_certificate(300, "en")

    pages = _pages(render_certificate_pdf(certificate))

    count = len(pages)
    assert count > 1
    assert re.search(rf"Page 1 / {count}\b", pages[0])
    assert re.search(rf"Page {count} / {count}\b", pages[-1])
    for page in pages:  # the footer is on every page
        assert certificate.verification_code in page
        assert certificate.root_hash in page
    squashed = _squash("\n".join(pages))
    assert _squash(_all_items(certificate)[-1].label) in squashed


def test_chinese_page_numbers_are_translated():
    pages = _pages(render_certificate_pdf(make_certificate(40, "zh-hans")))

    count = len(pages)
    assert count > 1
    assert re.search(rf"第 1 / {count} 页", pages[0])


def test_markup_in_content_is_text_and_nothing_is_fetched(monkeypatch, no_network):
    requested = []
    fetch = OfflineURLFetcher.fetch

    def spy(self, url, headers=None):
        requested.append(url)
        return fetch(self, url, headers)

    monkeypatch.setattr(OfflineURLFetcher, "fetch", spy)
    certificate = with_item_summary(
        make_certificate(3, "en"), f"See {REMOTE_IMAGE} & <b>bold</b>"
    )

    pdf = render_certificate_pdf(certificate)

    text = "\n".join(_pages(pdf))
    assert _squash(REMOTE_IMAGE) in _squash(text)
    assert "<b>bold</b>" in text
    assert requested == []
    assert no_network == []
    assert _image_count(pdf) == 0


def test_remote_urls_in_html_are_refused_not_fetched(no_network):
    fetcher = OfflineURLFetcher()
    html = (
        '<html><head><link rel="stylesheet" href="https://example.com/a.css">'
        "</head><body><p>Hello</p>"
        f"{REMOTE_IMAGE}"
        '<img src="file:///etc/hostname"></body></html>'
    )

    pdf = render_html_to_pdf(html, url_fetcher=fetcher)

    assert pdf.startswith(b"%PDF-")
    assert "https://example.com/a.css" in fetcher.refused
    assert "http://example.com/x.png" in fetcher.refused
    assert "file:///etc/hostname" in fetcher.refused
    assert no_network == []
    assert _image_count(pdf) == 0


def test_fetcher_refuses_everything_but_data_urls():
    fetcher = OfflineURLFetcher()

    with pytest.raises(RefusedURLError):
        fetcher.fetch("http://example.com/x.png")
    with pytest.raises(RefusedURLError):
        fetcher("file:///etc/passwd")
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_css_strings_cannot_escape_the_style_element():
    value = css_string('Name"; } </style><script>x</script>\\')

    assert value.startswith('"') and value.endswith('"')
    inner = value[1:-1]
    assert '"' not in inner
    assert "<" not in inner and ">" not in inner


def test_same_data_renders_the_same_bytes():
    certificate = make_certificate(4, "zh-hans")

    assert render_certificate_pdf(certificate) == render_certificate_pdf(certificate)


def test_missing_signoffs_and_dates_render():
    certificate = replace(
        make_certificate(2, "en"),
        declaration=None,
        approval=None,
        resignation_date=None,
    )

    text = "\n".join(_pages(render_certificate_pdf(certificate)))

    assert text.count("Not recorded") == 3


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        render_certificate_pdf(replace(make_certificate(1, "en"), language="fr"))
