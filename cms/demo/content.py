"""The demo templates (Sales, Tech, General), written once with both languages
side by side. ``T(en, zh)`` marks a text; :func:`localise` picks one language."""

import uuid
from dataclasses import dataclass

__all__ = ["TEMPLATES", "T", "template_body"]

_ID_NAMESPACE = uuid.UUID("5a1d0c3e-7b0e-4f57-9d8a-6b2f3c1e9a40")


@dataclass(frozen=True)
class T:
    en: str
    zh: str


def localise(value, language):
    if isinstance(value, T):
        return value.zh if language == "zh-hans" else value.en
    if isinstance(value, dict):
        return {key: localise(item, language) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localise(item, language) for item in value]
    return value


def item(
    kind,
    label,
    *,
    help_text=None,
    filled_by="leaver",
    confirmed_by="successor",
    evidence="none",
    due=0,
    required=True,
    condition=None,
    **fields,
):
    value = {
        "label": label,
        "help_text": help_text or T("", ""),
        "required": required,
        "filled_by": filled_by,
        "confirmed_by": confirmed_by,
        "evidence": evidence,
        "due_offset_days": due,
        "condition": condition or {"field_key": "", "operator": "equals", "value": ""},
        **fields,
    }
    return (kind, value)


def section(title, description, *items):
    return ("section", {"title": title, "description": description, "items": items})


def _with_ids(blocks, path):
    """Deterministic block ids, identical in both languages, so an item keeps its
    identity across translations and re-runs of the demo."""
    stream = []
    for index, (kind, value) in enumerate(blocks):
        block_path = f"{path}/{index}"
        if kind == "section":
            value = {**value, "items": _with_ids(value["items"], block_path)}
        stream.append(
            {
                "type": kind,
                "value": value,
                "id": str(uuid.uuid5(_ID_NAMESPACE, block_path)),
            }
        )
    return stream


def template_body(slug, language):
    return localise(_with_ids(TEMPLATES[slug]["body"], slug), language)


ACCOUNTS = section(
    T("Accounts and permissions", "账号与权限"),
    T(
        "Every system account: revoke it, transfer it to the successor, or keep it "
        "for a stated reason.",
        "每个系统账号:注销、转交给接交人,或说明理由后保留。",
    ),
    item(
        "account",
        T("Company email and WeCom", "企业邮箱与企业微信"),
        filled_by="it",
        confirmed_by="it",
        due=0,
        system=T("Email / WeCom", "邮箱 / 企业微信"),
        action="revoke",
    ),
    item(
        "account",
        T("Customer group admin rights", "客户群管理员权限"),
        help_text=T(
            "Group-admin rights in WeCom customer groups must pass to the successor.",
            "企业微信客户群的群主/管理员权限须转给接交人。",
        ),
        filled_by="leaver",
        confirmed_by="it",
        system=T("WeCom", "企业微信"),
        role_permission=T("Customer group owner", "客户群群主"),
        action="transfer",
    ),
    item(
        "account",
        T("OA approval rights", "OA 审批权限"),
        filled_by="it",
        confirmed_by="manager",
        system="OA",
        role_permission=T("Approver", "审批人"),
        action="transfer",
    ),
)

ASSETS_AND_PAPER = section(
    T("Assets and paper files", "资产与纸质资料"),
    T(
        "What goes back to the company, and where the paper is.",
        "归还公司的物品,以及纸质资料的位置。",
    ),
    item(
        "field",
        T("Do you have a company laptop?", "是否领用公司笔记本电脑?"),
        confirmed_by="it",
        key="has_laptop",
        field_type="yes_no",
    ),
    item(
        "asset",
        T("Return the laptop", "归还笔记本电脑"),
        confirmed_by="it",
        evidence="optional",
        due=0,
        condition={"field_key": "has_laptop", "operator": "is_yes", "value": ""},
        asset_type="laptop",
        return_to_role="it",
    ),
    item(
        "asset",
        T("Badge and keys", "工牌与钥匙"),
        confirmed_by="hr",
        due=0,
        asset_type="badge",
        return_to_role="hr",
    ),
    item(
        "document",
        T("Paper files in the cabinet", "文件柜中的纸质资料"),
        help_text=T(
            "Say exactly where each file is and who holds the key, so nothing is "
            "left in a drawer.",
            "写明每份资料的具体位置和钥匙保管人,避免资料遗留在抽屉里。",
        ),
        evidence="optional",
        due=-2,
        medium="paper",
        location=T("Cabinet 3, drawer 2", "3 号文件柜第 2 层"),
    ),
)

MONEY_AND_APPROVALS = section(
    T("Approvals and expenses", "审批与报销"),
    T(
        "Nothing may be left pending in OA or finance.",
        "OA 和财务系统中不得留有未处理事项。",
    ),
    item(
        "approval",
        T("Pending approvals", "未完成的审批"),
        confirmed_by="manager",
        due=-3,
        system="OA",
        direction="awaiting_my_action",
    ),
    item(
        "expense",
        T("Unreimbursed expenses", "未报销的费用"),
        help_text=T(
            "Submit every receipt before you leave; finance pays within 5 days.",
            "离职前提交全部票据,财务 5 个工作日内支付。",
        ),
        confirmed_by="manager",
        evidence="optional",
        due=-5,
        currency="CNY",
        status="not_submitted",
    ),
    item(
        "connector_list",
        T("Approvals waiting in OA", "OA 中待处理的审批"),
        confirmed_by="manager",
        required=False,
        due=-3,
        connector="oa",
        record_kind="approval",
    ),
    item(
        "connector_list",
        T("Expenses not yet reimbursed", "尚未报销的费用"),
        help_text=T(
            "Filled from finance; an expense disappears once finance pays it.",
            "来自财务系统;财务付款后该项自动消失。",
        ),
        confirmed_by="manager",
        required=False,
        due=-5,
        connector="oa",
        record_kind="expense",
    ),
)

TEMPLATES = {
    "sales": {
        "title": T("Sales handover", "销售岗位交接"),
        "role": "sales",
        "departments": ["sales"],
        "description": T(
            "For account managers and sales staff: clients, open orders, quotes, "
            "promises made, and the sales scripts that work.",
            "适用于客户经理和销售人员:客户、未完成订单、报价、对客户的承诺,以及有效的销售话术。",
        ),
        "body": [
            section(
                T("Clients and deals", "客户与商机"),
                T(
                    "The successor must be able to call every client tomorrow.",
                    "接交人明天就要能给每位客户打电话。",
                ),
                item(
                    "client",
                    T("Key client list", "重点客户名单"),
                    help_text=T(
                        "One entry per client: contact, needs, history, promises.",
                        "每位客户一条:联系人、需求、合作历史、承诺。",
                    ),
                    evidence="optional",
                    due=-5,
                ),
                item(
                    "client",
                    T("Open orders and quotes", "未完成订单与报价"),
                    help_text=T(
                        "Which quote each client has, and what was agreed.",
                        "每位客户拿到的报价,以及已商定的条件。",
                    ),
                    due=-5,
                ),
                item(
                    "field",
                    T(
                        "Did you promise any client a discount?",
                        "是否向客户承诺过折扣?",
                    ),
                    key="promised_discount",
                    field_type="yes_no",
                    due=-5,
                ),
                item(
                    "task",
                    T("Promised discounts and commitments", "已承诺的折扣与事项"),
                    help_text=T(
                        "Every discount or favour promised, to whom, until when.",
                        "每一项承诺的折扣或优惠:给谁、有效期到何时。",
                    ),
                    due=-5,
                    condition={
                        "field_key": "promised_discount",
                        "operator": "is_yes",
                        "value": "",
                    },
                ),
                item(
                    "connector_list",
                    T("Deals from the CRM", "CRM 中的商机"),
                    required=False,
                    due=-5,
                    connector="crm",
                    record_kind="deal",
                ),
                item(
                    "connector_list",
                    T("Clients from your spreadsheet", "客户表格中的客户"),
                    help_text=T(
                        "Upload your client list (CSV or Excel) and choose its "
                        "columns; each row becomes a client to hand over.",
                        "上传客户表格(CSV 或 Excel)并选择列;"
                        "每一行成为一个待交接的客户。",
                    ),
                    required=False,
                    due=-5,
                    connector="client-sheet",
                    record_kind="client",
                ),
            ),
            section(
                T("Sales knowledge", "销售经验"),
                T("", ""),
                item(
                    "knowledge",
                    T("Sales scripts", "销售话术"),
                    help_text=T(
                        "The pitches and objection answers that work with our clients.",
                        "对我们的客户有效的介绍话术和异议处理。",
                    ),
                    due=-3,
                ),
            ),
            MONEY_AND_APPROVALS,
            ACCOUNTS,
            ASSETS_AND_PAPER,
        ],
    },
    "tech": {
        "title": T("Engineering handover", "技术岗位交接"),
        "role": "engineer",
        "departments": ["rnd"],
        "description": T(
            "For engineers: code repositories, services they run, documentation and "
            "the R&D contacts the successor needs.",
            "适用于研发人员:代码仓库、负责的服务、项目文档,以及接交人需要对接的研发人员。",
        ),
        "body": [
            section(
                T("Projects and code", "项目与代码"),
                T("", ""),
                item(
                    "project",
                    T("Projects in progress", "进行中的项目"),
                    help_text=T(
                        "Stage, progress, next step and who to talk to.",
                        "阶段、进度、下一步以及对接人。",
                    ),
                    evidence="optional",
                    due=-7,
                ),
                item(
                    "connector_list",
                    T("Code repositories you maintain", "你维护的代码仓库"),
                    required=False,
                    due=-7,
                    connector="git",
                    record_kind="repository",
                ),
                item(
                    "task",
                    T("Unfinished tasks", "未完成的任务"),
                    due=-5,
                ),
                item(
                    "document",
                    T("Design documents and runbooks", "设计文档与运维手册"),
                    evidence="optional",
                    due=-5,
                    medium="electronic",
                ),
                item(
                    "knowledge",
                    T("R&D contacts", "研发对接人"),
                    help_text=T(
                        "Who inside and outside the team the successor must know.",
                        "接交人需要认识的团队内外联系人。",
                    ),
                    due=-3,
                ),
                item(
                    "connector_list",
                    T("Open issues assigned to you", "分配给你的未关闭问题"),
                    required=False,
                    due=-5,
                    connector="tracker",
                    record_kind="issue",
                ),
            ),
            MONEY_AND_APPROVALS,
            ACCOUNTS,
            ASSETS_AND_PAPER,
        ],
    },
    "general": {
        "title": T("General handover", "通用交接"),
        "role": "general",
        "departments": [],
        "description": T(
            "The common checklist for every departing employee.",
            "适用于所有离职员工的通用交接清单。",
        ),
        "body": [
            section(
                T("Work in progress", "在办工作"),
                T("", ""),
                item("task", T("Unfinished work", "未完成的工作"), due=-3),
                item(
                    "document",
                    T("Electronic files", "电子文档"),
                    help_text=T(
                        "Where they are and what each folder is for.",
                        "存放位置及各文件夹的用途。",
                    ),
                    due=-3,
                    medium="electronic",
                ),
            ),
            MONEY_AND_APPROVALS,
            ACCOUNTS,
            ASSETS_AND_PAPER,
        ],
    },
}
