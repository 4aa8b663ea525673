"""DingTalk OA approvals: running approvals and unpaid reimbursements
(``connector``), resignation approvals and the address book for intake
(``intake``), on the official SDK alibabacloud-dingtalk and the older API
(``platform``)."""

from .connector import DingTalkConnector
from .platform import _dingtalk

__all__ = ["DingTalkConnector", "_dingtalk"]
