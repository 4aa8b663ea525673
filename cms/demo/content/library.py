"""The demo's template library: Sales, Tech and General, by slug."""

from .markup import T, item, section
from .sections import ACCOUNTS, ASSETS_AND_PAPER, MONEY_AND_APPROVALS

__all__ = ["TEMPLATES"]

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
