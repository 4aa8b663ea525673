"""Feishu (Lark) Approval: pending approvals and unpaid reimbursements
(``connector``), resignation approvals and the contact directory for intake
(``intake``), on the official SDK lark-oapi (``platform``)."""

from .connector import FeishuConnector
from .platform import _lark

__all__ = ["FeishuConnector", "_lark"]
