"""The sections every demo template ends with: approvals and expenses,
accounts and permissions, assets and paper files."""

from .markup import T, item, section

__all__ = ["ACCOUNTS", "ASSETS_AND_PAPER", "MONEY_AND_APPROVALS"]

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
