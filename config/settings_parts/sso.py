"""Company sign-in (docs/sso.md): OpenID Connect, LDAP / Active Directory,
whether Baton's own passwords still sign in, and the signing PIN.

Every value comes from the environment. OpenID Connect is on when
``BATON_OIDC_DISCOVERY_URL`` and ``BATON_OIDC_CLIENT_ID`` are set, LDAP when
``BATON_LDAP_URI`` is set.
"""

from datetime import timedelta

from .environment import env

# --- OpenID Connect (mozilla-django-oidc) -----------------------------------
# The provider's discovery document (…/.well-known/openid-configuration): the
# endpoints, the issuer and the keys are read from it (cached for an hour).
BATON_OIDC_DISCOVERY_URL = env.str("BATON_OIDC_DISCOVERY_URL", default="")
BATON_OIDC_CLIENT_ID = env.str("BATON_OIDC_CLIENT_ID", default="")
BATON_OIDC_CLIENT_SECRET = env.str("BATON_OIDC_CLIENT_SECRET", default="")
BATON_OIDC_SCOPES = env.str("BATON_OIDC_SCOPES", default="openid email profile")
# The ID token's signing algorithm (the provider's keys come from its jwks_uri).
BATON_OIDC_SIGN_ALGO = env.str("BATON_OIDC_SIGN_ALGO", default="RS256")
# Which claims carry the employee number and the directory id (the value the
# directory connector stores in Employee.directory_id); "" = not used.
BATON_OIDC_EMPLOYEE_NUMBER_CLAIM = env.str(
    "BATON_OIDC_EMPLOYEE_NUMBER_CLAIM", default="employee_number"
)
BATON_OIDC_DIRECTORY_ID_CLAIM = env.str("BATON_OIDC_DIRECTORY_ID_CLAIM", default="sub")
# The button's text on the sign-in page ("" = "Sign in with your company account").
BATON_OIDC_LABEL = env.str("BATON_OIDC_LABEL", default="")
BATON_OIDC_TIMEOUT = env.int("BATON_OIDC_TIMEOUT", default=10)
# Signing by confirming at the provider (prompt=login): the confirmation signs
# once, within this many seconds.
BATON_OIDC_REAUTH_SECONDS = env.int("BATON_OIDC_REAUTH_SECONDS", default=300)
BATON_OIDC_VERIFY_TLS = env.bool("BATON_OIDC_VERIFY_TLS", default=True)

# mozilla-django-oidc's own settings; the client id, secret, scopes and the
# provider's endpoints are read from the BATON_OIDC_* settings above by
# cms.auth.sso.oidc, so that they have one name each.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_AUTHENTICATE_CLASS = "cms.auth.sso.oidc.StartView"
OIDC_CALLBACK_CLASS = "cms.auth.sso.oidc.CallbackView"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_REDIRECT_FIELD_NAME = "next"
OIDC_CREATE_USER = False

# Baton's sign-in page (cms/templates/wagtailadmin/login.html) asks this form
# which company sign-ins to offer.
WAGTAILADMIN_USER_LOGIN_FORM = "cms.auth.sso.forms.LoginForm"

# --- LDAP / Active Directory (django-auth-ldap) ------------------------------
BATON_LDAP_URI = env.str("BATON_LDAP_URI", default="")
# The account Baton searches the directory with ("" = anonymous search).
BATON_LDAP_BIND_DN = env.str("BATON_LDAP_BIND_DN", default="")
BATON_LDAP_BIND_PASSWORD = env.str("BATON_LDAP_BIND_PASSWORD", default="")
BATON_LDAP_USER_BASE = env.str("BATON_LDAP_USER_BASE", default="")
# %(user)s is what the person typed as their username. Active Directory:
# (&(objectClass=user)(sAMAccountName=%(user)s)).
BATON_LDAP_USER_FILTER = env.str("BATON_LDAP_USER_FILTER", default="(uid=%(user)s)")
# The entry's attributes Baton matches on (docs/sso.md "How matching works").
# The directory id as the LDAP directory connector stores it by default:
# entryUUID; on Active Directory objectGUID (read as its UUID text).
BATON_LDAP_DIRECTORY_ID_ATTR = env.str(
    "BATON_LDAP_DIRECTORY_ID_ATTR", default="entryUUID"
)
BATON_LDAP_EMPLOYEE_NUMBER_ATTR = env.str(
    "BATON_LDAP_EMPLOYEE_NUMBER_ATTR", default="employeeNumber"
)
BATON_LDAP_EMAIL_ATTR = env.str("BATON_LDAP_EMAIL_ATTR", default="mail")
BATON_LDAP_START_TLS = env.bool("BATON_LDAP_START_TLS", default=False)
# A CA certificate file for ldaps:// or StartTLS ("" = the system's).
BATON_LDAP_CA_FILE = env.str("BATON_LDAP_CA_FILE", default="")
BATON_LDAP_TIMEOUT = env.int("BATON_LDAP_TIMEOUT", default=10)
# The button-less form's label when LDAP signs in ("" = "Company account").
BATON_LDAP_LABEL = env.str("BATON_LDAP_LABEL", default="")

# --- Baton's own passwords ---------------------------------------------------
# Off: no username/password form for Baton's own passwords, and the password
# backend refuses them everywhere (sign-in page, API token endpoint, signing),
# except superusers while BATON_LOCAL_PASSWORDS_FOR_SUPERUSERS is on: the
# break-glass account for when the identity provider is down.
BATON_LOCAL_PASSWORDS = env.bool("BATON_LOCAL_PASSWORDS", default=True)
BATON_LOCAL_PASSWORDS_FOR_SUPERUSERS = env.bool(
    "BATON_LOCAL_PASSWORDS_FOR_SUPERUSERS", default=True
)

# --- Signing PIN --------------------------------------------------------------
# Setting or changing the PIN without the old one needs a sign-in at most this
# long ago.
BATON_SIGNING_PIN_FRESH_SIGN_IN = timedelta(
    minutes=env.int("BATON_SIGNING_PIN_FRESH_MINUTES", default=10)
)
BATON_SIGNATURE_BACKEND = "cms.services.signing.CompanySignInReauthentication"


def authentication_backends() -> list[str]:
    """Axes first (it refuses a locked-out sign-in), then the directory when
    configured, Baton's passwords, OpenID Connect (inert until its callback
    calls it) and guardian's object permissions."""
    backends = ["axes.backends.AxesStandaloneBackend"]
    if BATON_LDAP_URI:
        backends.append("cms.auth.sso.ldap.DirectoryBackend")
    backends += [
        "cms.auth.sso.passwords.PasswordBackend",
        "cms.auth.sso.oidc.OidcBackend",
        "guardian.backends.ObjectPermissionBackend",
    ]
    return backends


AUTHENTICATION_BACKENDS = authentication_backends()

# What ``config.settings`` takes from here: the settings, not the helpers.
__all__ = [name for name in dir() if name.isupper() and not name.startswith("_")]
