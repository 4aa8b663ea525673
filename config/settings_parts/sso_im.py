"""Feishu, DingTalk and WeCom sign-in (docs/sso-im.md): each vendor's app
credentials, its URLs (overridable, e.g. for Lark, a proxy or the tests'
fakes) and which of the vendor's user ids is ``Employee.directory_id``.

A vendor's button shows on the sign-in page once its credentials are set."""

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# Feishu (Lark): a custom app (自建应用) with web app sign-in. Lark:
# https://accounts.larksuite.com and https://open.larksuite.com.
BATON_SSO_FEISHU_APP_ID = env.str("BATON_SSO_FEISHU_APP_ID", default="")
BATON_SSO_FEISHU_APP_SECRET = env.str("BATON_SSO_FEISHU_APP_SECRET", default="")
BATON_SSO_FEISHU_ACCOUNTS_URL = env.str(
    "BATON_SSO_FEISHU_ACCOUNTS_URL", default="https://accounts.feishu.cn"
)
BATON_SSO_FEISHU_API_URL = env.str(
    "BATON_SSO_FEISHU_API_URL", default="https://open.feishu.cn"
)
# The id the Feishu connector's directory sync stores (its "user id type",
# open_id unless changed); "" matches by employee number and e-mail only. An
# open_id is per app: use user_id or union_id when sign-in has its own app.
BATON_SSO_FEISHU_DIRECTORY_ID = env.str(
    "BATON_SSO_FEISHU_DIRECTORY_ID", default="open_id"
)
# Optional: only people of this tenant (user_info's tenant_key) sign in.
BATON_SSO_FEISHU_TENANT_KEY = env.str("BATON_SSO_FEISHU_TENANT_KEY", default="")
# Optional extra scopes asked for at authorisation (space-separated).
BATON_SSO_FEISHU_SCOPE = env.str("BATON_SSO_FEISHU_SCOPE", default="")

# DingTalk: an internal app (企业内部应用) with sign-in to third-party websites.
BATON_SSO_DINGTALK_APP_KEY = env.str("BATON_SSO_DINGTALK_APP_KEY", default="")
BATON_SSO_DINGTALK_APP_SECRET = env.str("BATON_SSO_DINGTALK_APP_SECRET", default="")
BATON_SSO_DINGTALK_LOGIN_URL = env.str(
    "BATON_SSO_DINGTALK_LOGIN_URL", default="https://login.dingtalk.com"
)
BATON_SSO_DINGTALK_API_URL = env.str(
    "BATON_SSO_DINGTALK_API_URL", default="https://api.dingtalk.com"
)
BATON_SSO_DINGTALK_OAPI_URL = env.str(
    "BATON_SSO_DINGTALK_OAPI_URL", default="https://oapi.dingtalk.com"
)
# The DingTalk connector's directory sync stores the userid.
BATON_SSO_DINGTALK_DIRECTORY_ID = env.str(
    "BATON_SSO_DINGTALK_DIRECTORY_ID", default="userid"
)

# WeCom (企业微信): a self-built app (自建应用) with web sign-in (企业微信授权登录).
BATON_SSO_WECOM_CORP_ID = env.str("BATON_SSO_WECOM_CORP_ID", default="")
BATON_SSO_WECOM_AGENT_ID = env.str("BATON_SSO_WECOM_AGENT_ID", default="")
BATON_SSO_WECOM_SECRET = env.str("BATON_SSO_WECOM_SECRET", default="")
BATON_SSO_WECOM_LOGIN_URL = env.str(
    "BATON_SSO_WECOM_LOGIN_URL", default="https://login.work.weixin.qq.com"
)
# Inside the WeCom app: its web page authorisation (网页授权), no QR code.
BATON_SSO_WECOM_OAUTH_URL = env.str(
    "BATON_SSO_WECOM_OAUTH_URL", default="https://open.weixin.qq.com"
)
BATON_SSO_WECOM_API_URL = env.str(
    "BATON_SSO_WECOM_API_URL", default="https://qyapi.weixin.qq.com"
)
# WeCom's user ID (the id the WeCom connector's people map names); "" matches
# by e-mail only.
BATON_SSO_WECOM_DIRECTORY_ID = env.str("BATON_SSO_WECOM_DIRECTORY_ID", default="userid")

# Seconds Baton waits for each vendor call during a sign-in.
BATON_SSO_IM_TIMEOUT = env.float("BATON_SSO_IM_TIMEOUT", default=10.0)

_DIRECTORY_IDS = {
    "BATON_SSO_FEISHU_DIRECTORY_ID": ("open_id", "user_id", "union_id", ""),
    "BATON_SSO_DINGTALK_DIRECTORY_ID": ("userid", "unionid", ""),
    "BATON_SSO_WECOM_DIRECTORY_ID": ("userid", ""),
}
for _name, _choices in _DIRECTORY_IDS.items():
    if globals()[_name] not in _choices:
        raise ImproperlyConfigured(
            f"{_name} must be one of {', '.join(map(repr, _choices))}."
        )

# What ``config.settings`` takes from here: the settings, not the helpers.
__all__ = [name for name in dir() if name.isupper() and not name.startswith("_")]
