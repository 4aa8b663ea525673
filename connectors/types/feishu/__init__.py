"""Feishu (Lark) Approval: pending approvals, unpaid reimbursements, and for
intake resignation approvals and the contact directory (``connector``), on the
official SDK lark-oapi (``platform``)."""

from .connector import FeishuConnector
from .platform import _lark

__all__ = ["FeishuConnector", "_lark"]
