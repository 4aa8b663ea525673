"""DingTalk OA approvals: running approvals, unpaid reimbursements, and for
intake resignation approvals and the address book (``connector``), on the
official SDK alibabacloud-dingtalk and the older API (``platform``)."""

from .connector import DingTalkConnector
from .platform import _dingtalk

__all__ = ["DingTalkConnector", "_dingtalk"]
