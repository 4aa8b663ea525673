"""Intake's endpoints under /api/v1/ (outside the language prefix; signed, so
no session and no CSRF token): included by ``connectors.api``."""

from django.urls import path

from .callbacks import DingTalkCallbackView, FeishuEventView
from .webhook import ResignationWebhookView

__all__ = ["urlpatterns"]

urlpatterns = [
    path(
        "intake/resignations/",
        ResignationWebhookView.as_view(),
        name="intake-resignations",
    ),
    path(
        "intake/feishu/<slug:slug>/",
        FeishuEventView.as_view(),
        name="intake-feishu-events",
    ),
    path(
        "intake/dingtalk/<slug:slug>/",
        DingTalkCallbackView.as_view(),
        name="intake-dingtalk-events",
    ),
]
