"""The handover part of the API: thin views over cms services and selectors."""

from .employees import EmployeeViewSet
from .handovers import HandoverAuditViewSet, HandoverItemViewSet, HandoverViewSet
from .items import (
    AttachmentViewSet,
    CommentViewSet,
    ItemAttachmentViewSet,
    ItemCommentViewSet,
    ItemViewSet,
)

__all__ = [
    "AttachmentViewSet",
    "CommentViewSet",
    "EmployeeViewSet",
    "HandoverAuditViewSet",
    "HandoverItemViewSet",
    "HandoverViewSet",
    "ItemAttachmentViewSet",
    "ItemCommentViewSet",
    "ItemViewSet",
]
