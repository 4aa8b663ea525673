"""Feishu, DingTalk and WeCom sign-in (docs/sso-im.md).

Importing this package registers the three vendors' sign-in buttons; each is
shown while its settings (``config/settings_parts/sso_im.py``) are set. The
URLs are in :mod:`cms.auth.sso.im_urls` (``auth/im/``)."""

from django.utils.translation import gettext_lazy as _

from ..providers import LoginProvider, register
from .dingtalk import DingTalk
from .feishu import Feishu
from .wecom import WeCom

__all__ = ["VENDORS"]

VENDORS = {vendor.key: vendor for vendor in (Feishu, DingTalk, WeCom)}

_LABELS = {
    "feishu": _("Sign in with Feishu"),
    "dingtalk": _("Sign in with DingTalk"),
    "wecom": _("Sign in with WeCom"),
}

for _vendor in VENDORS.values():
    register(
        LoginProvider(
            key=_vendor.key,
            label=_LABELS[_vendor.key],
            url_name=f"sso_im:{_vendor.key}",
            enabled=_vendor.enabled,
            icon=f"cms/sso/{_vendor.key}.svg",
        )
    )
