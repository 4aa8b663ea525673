"""Guessing which column fills which item property from the header names
(English or Chinese), and which column identifies a row."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import translation

from .properties import Property, item_properties, target_kind

__all__ = ["normalise", "suggest_id_column", "suggest_mapping"]

# Header (normalised: lower case, no spaces or punctuation) -> the properties it
# most likely means, best first; the first one the target kind has wins.
_CONTACT_NAME = ("contact_person.name", "contacts.name")
_CONTACT_TITLE = ("contact_person.title",)
_PHONE = ("contact_person.phone", "contacts.phone")
_EMAIL = ("contact_person.email", "contacts.email")
_NOTES = ("relationship_notes", "notes", "keep_reason", "content")
_AMOUNT = ("amount", "open_deals.amount")
_CURRENCY = ("currency", "open_deals.currency")
_STAGE = ("stage", "open_deals.stage")
_NEXT_STEP = ("next_step", "open_deals.next_step")
_TITLE = ("title", "open_deals.title", "documents.title", "topic", "project_name")
_DESCRIPTION = ("description", "content", "relationship_notes", "notes")
_LOCATION = ("location", "documents.location")
_REFERENCE = ("reference", "asset_tag")

HEADER_ALIASES = {
    # Clients
    "customer": ("customer",),
    "customername": ("customer",),
    "client": ("customer",),
    "clientname": ("customer",),
    "company": ("customer",),
    "companyname": ("customer",),
    "accountname": ("customer",),
    "客户": ("customer",),
    "客户名称": ("customer",),
    "客户名": ("customer",),
    "客户全称": ("customer",),
    "公司": ("customer",),
    "公司名称": ("customer",),
    "单位": ("customer",),
    "单位名称": ("customer",),
    "contact": _CONTACT_NAME,
    "contactname": _CONTACT_NAME,
    "contactperson": _CONTACT_NAME,
    "name": (*_CONTACT_NAME, "title", "topic", "project_name"),
    "联系人": _CONTACT_NAME,
    "联系人姓名": _CONTACT_NAME,
    "姓名": _CONTACT_NAME,
    "jobtitle": _CONTACT_TITLE,
    "position": _CONTACT_TITLE,
    "职位": _CONTACT_TITLE,
    "职务": _CONTACT_TITLE,
    "phone": _PHONE,
    "phonenumber": _PHONE,
    "tel": _PHONE,
    "telephone": _PHONE,
    "mobile": _PHONE,
    "cell": _PHONE,
    "电话": _PHONE,
    "手机": _PHONE,
    "手机号": _PHONE,
    "手机号码": _PHONE,
    "联系电话": _PHONE,
    "电话号码": _PHONE,
    "联系方式": _PHONE,
    "email": _EMAIL,
    "mail": _EMAIL,
    "emailaddress": _EMAIL,
    "邮箱": _EMAIL,
    "电子邮箱": _EMAIL,
    "邮件": _EMAIL,
    "电子邮件": _EMAIL,
    "邮箱地址": _EMAIL,
    "notes": _NOTES,
    "note": _NOTES,
    "remarks": _NOTES,
    "comments": _NOTES,
    "comment": _NOTES,
    "relationshipnotes": ("relationship_notes",),
    "备注": _NOTES,
    "说明": (*_DESCRIPTION, *_NOTES),
    "客户关系": ("relationship_notes",),
    "deal": ("open_deals.title",),
    "dealname": ("open_deals.title",),
    "opportunity": ("open_deals.title",),
    "商机": ("open_deals.title",),
    "商机名称": ("open_deals.title",),
    "amount": _AMOUNT,
    "value": _AMOUNT,
    "total": _AMOUNT,
    "金额": _AMOUNT,
    "总金额": _AMOUNT,
    "合同金额": _AMOUNT,
    "商机金额": ("open_deals.amount", "amount"),
    "报销金额": ("amount",),
    "currency": _CURRENCY,
    "币种": _CURRENCY,
    "货币": _CURRENCY,
    "stage": _STAGE,
    "阶段": _STAGE,
    "商机阶段": ("open_deals.stage", "stage"),
    "项目阶段": ("stage",),
    "nextstep": _NEXT_STEP,
    "下一步": _NEXT_STEP,
    "下一步计划": _NEXT_STEP,
    "commitments": ("commitments",),
    "promises": ("commitments",),
    "承诺": ("commitments",),
    "承诺事项": ("commitments",),
    "lastquote": ("last_quote",),
    "quote": ("last_quote",),
    "报价": ("last_quote",),
    "最近报价": ("last_quote",),
    # Accounts
    "system": ("system",),
    "application": ("system",),
    "app": ("system",),
    "系统": ("system",),
    "系统名称": ("system",),
    "应用": ("system",),
    "平台": ("system",),
    "account": ("account_id", "customer"),
    "accountid": ("account_id",),
    "username": ("account_id",),
    "user": ("account_id",),
    "userid": ("account_id",),
    "login": ("account_id",),
    "账号": ("account_id",),
    "帐号": ("account_id",),
    "账户": ("account_id",),
    "帐户": ("account_id",),
    "用户名": ("account_id",),
    "登录名": ("account_id",),
    "role": ("role_permission", "contacts.role"),
    "permission": ("role_permission",),
    "permissions": ("role_permission",),
    "rolepermission": ("role_permission",),
    "角色": ("role_permission", "contacts.role"),
    "权限": ("role_permission",),
    "角色权限": ("role_permission",),
    "action": ("action",),
    "操作": ("action",),
    "处理方式": ("action",),
    "keepreason": ("keep_reason",),
    "reason": ("keep_reason",),
    "保留原因": ("keep_reason",),
    "原因": ("keep_reason",),
    # Tasks and projects
    "task": ("description",),
    "taskname": ("description",),
    "任务": ("description",),
    "任务名称": ("description",),
    "事项": ("description",),
    "description": _DESCRIPTION,
    "desc": _DESCRIPTION,
    "描述": _DESCRIPTION,
    "内容": ("content", *_DESCRIPTION),
    "status": ("status",),
    "state": ("status",),
    "状态": ("status",),
    "progress": ("progress_percent",),
    "进度": ("progress_percent",),
    "完成度": ("progress_percent",),
    "location": _LOCATION,
    "path": _LOCATION,
    "link": ("location", "documents.location", "links"),
    "url": ("location", "documents.location", "links"),
    "位置": _LOCATION,
    "存放位置": _LOCATION,
    "存放地点": _LOCATION,
    "链接": ("location", "links", "documents.location"),
    "project": ("project_name",),
    "projectname": ("project_name",),
    "项目": ("project_name",),
    "项目名称": ("project_name",),
    # Documents, approvals, expenses, assets, knowledge
    "title": _TITLE,
    "标题": _TITLE,
    "名称": (*_TITLE, "customer"),
    "document": ("title", "documents.title"),
    "文档": ("title", "documents.title"),
    "文件": ("title", "documents.title"),
    "文件名": ("title", "documents.title"),
    "medium": ("medium",),
    "介质": ("medium",),
    "形式": ("medium",),
    "custodian": ("custodian",),
    "keeper": ("custodian",),
    "owner": ("custodian",),
    "保管人": ("custodian",),
    "reference": _REFERENCE,
    "ref": _REFERENCE,
    "number": _REFERENCE,
    "no": _REFERENCE,
    "编号": _REFERENCE,
    "单号": ("reference",),
    "单据号": ("reference",),
    "审批单号": ("reference",),
    "direction": ("direction",),
    "方向": ("direction",),
    "date": ("incurred_on",),
    "incurredon": ("incurred_on",),
    "日期": ("incurred_on",),
    "发生日期": ("incurred_on",),
    "费用日期": ("incurred_on",),
    "type": ("asset_type",),
    "assettype": ("asset_type",),
    "类型": ("asset_type",),
    "资产类型": ("asset_type",),
    "tag": ("asset_tag",),
    "assettag": ("asset_tag",),
    "assetnumber": ("asset_tag",),
    "资产编号": ("asset_tag",),
    "资产标签": ("asset_tag",),
    "returnto": ("return_to_role",),
    "归还给": ("return_to_role",),
    "topic": ("topic",),
    "subject": ("topic",),
    "主题": ("topic",),
    "content": ("content",),
    "links": ("links",),
}

ID_HEADERS = frozenset(
    {
        "id",
        "externalid",
        "recordid",
        "key",
        "客户编号",
        "客户id",
        "记录id",
        "唯一标识",
    }
)


def normalise(header: str) -> str:
    """A header as it is compared: lower case, no spaces or punctuation."""
    return re.sub(r"[\s_\-./:\uff1a()\uff08\uff09#*>\u203a]+", "", header.casefold())


def _label_keys(prop: Property) -> set[str]:
    """The property's label in every language, normalised (both the full
    "Contact person > Email" and, for top-level fields, the field's label)."""
    keys = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.add(normalise(str(prop.label)))
            if "." not in prop.path or prop.many:
                keys.add(normalise(str(prop.spec.label)))
    keys.add(normalise(prop.path))
    return keys


def suggest_mapping(columns: list[str], record_kind: str) -> dict[str, str]:
    """{item property -> column} guessed from the header names (English or
    Chinese), each column and property used once."""
    properties = item_properties(target_kind(record_kind))
    paths = [prop.path for prop in properties]
    by_label = {}
    for prop in properties:
        for key in _label_keys(prop):
            by_label.setdefault(key, prop.path)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    # Exact label matches first, then aliases, so "Email" beats a vaguer alias.
    for column in columns:
        path = by_label.get(normalise(column))
        if path and path not in mapping:
            mapping[path] = column
            used.add(column)
    for column in columns:
        if column in used:
            continue
        for path in HEADER_ALIASES.get(normalise(column), ()):
            if path in paths and path not in mapping:
                mapping[path] = column
                used.add(column)
                break
    # A list entry needs its required fields (a deal needs a title): without a
    # column for them, suggesting the others would only make every row fail.
    for prop in properties:
        if prop.list_name and prop.spec.required and prop.path not in mapping:
            for other in properties:
                if other.list_name == prop.list_name:
                    mapping.pop(other.path, None)
    return {path: mapping[path] for path in paths if path in mapping}


def suggest_id_column(columns: list[str]) -> str | None:
    """A column that looks like a stable row id ("ID", "客户编号"), if any."""
    for column in columns:
        if normalise(column) in ID_HEADERS:
            return column
    return None
