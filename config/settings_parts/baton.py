"""Baton's own settings: signatures and the audit trail, uploads, role groups,
connectors (secrets, sync, webhooks, outbound networks), reports, intake and
access handover. Each can be set from the environment."""

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from .environment import VAR_DIR, env

# Signatures: the server's Ed25519 key (PEM) from the environment, or a key file
# generated on first use. Re-authentication backend for signing.
BATON_SIGNING_KEY = env.str("BATON_SIGNING_KEY", default="")
BATON_SIGNING_KEY_FILE = env.str(
    "BATON_SIGNING_KEY_FILE", default=str(VAR_DIR / "signing-key.pem")
)
BATON_SIGNATURE_BACKEND = "cms.services.signing.PasswordReauthentication"
# Audit tamper evidence (issue 14): the audit trail and its signed checkpoints
# are append-only, and on PostgreSQL TRUNCATE is refused too, `manage.py flush`
# included. Only test databases set this, so that the suite can empty tables
# between transactional tests (it needs a database superuser).
BATON_AUDIT_FLUSH_ALLOWED = False
BATON_MAX_UPLOAD_BYTES = env.int("BATON_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# The group whose members take a participant role a template needs when HR names
# nobody for it (role -> group name); a role left out is refused at the start.
BATON_ROLE_GROUPS = {"it": env.str("BATON_IT_GROUP", default="IT")}

# Connectors: Fernet keys for secrets at rest (comma-separated, newest first);
# empty in development derives one from SECRET_KEY.
BATON_SECRETS_KEYS = env.str("BATON_SECRETS_KEYS", default="")
# Background fill: retries with exponential backoff (base * 2**attempt, capped).
BATON_SYNC_MAX_RETRIES = env.int("BATON_SYNC_MAX_RETRIES", default=5)
BATON_SYNC_RETRY_BASE_SECONDS = env.int("BATON_SYNC_RETRY_BASE_SECONDS", default=30)
BATON_SYNC_RETRY_MAX_SECONDS = env.int("BATON_SYNC_RETRY_MAX_SECONDS", default=3600)
# Sync runs hold a lease on their block, extended by a heartbeat; a run whose
# lease passed belongs to a dead worker and is interrupted and retried by the
# minute tick. Keep it above the longest single upstream request.
BATON_SYNC_LEASE_SECONDS = env.int("BATON_SYNC_LEASE_SECONDS", default=120)
# A run that pulled no record for this long stops beating (a wedged worker).
BATON_SYNC_STALL_SECONDS = env.int("BATON_SYNC_STALL_SECONDS", default=600)
# Records applied per transaction (each batch shows as progress "n of N").
BATON_SYNC_BATCH_SIZE = env.int("BATON_SYNC_BATCH_SIZE", default=1000)
# A block queued this long ago whose task never ran gets its task sent again.
BATON_SYNC_QUEUED_STALE_SECONDS = env.int(
    "BATON_SYNC_QUEUED_STALE_SECONDS", default=1800
)
# Inbound webhooks: how old a signed timestamp may be.
BATON_WEBHOOK_TOLERANCE_SECONDS = env.int(
    "BATON_WEBHOOK_TOLERANCE_SECONDS", default=300
)

# Outbound connector connections (connectors/types/_network.py): loopback,
# link-local and private addresses are refused, so a connector URL cannot make
# Baton probe the internal network. List the networks of on-premises systems
# Baton must reach (CIDRs, comma-separated), e.g. "10.20.0.0/16,192.168.5.10/32".
BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS = env.list(
    "BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS", default=[]
)
for _network in BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS: {_network!r} is not a "
            "network (write it like 10.0.0.0/8 or fd00::/8)."
        ) from _error
# Reports and dashboards (issue 15): an open handover with no audited activity
# for this many days counts as stuck on the HR dashboard.
BATON_STUCK_DAYS = env.int("BATON_STUCK_DAYS", default=5)
# Intake (issue 16): resignation events start handovers. The service account
# that starts them (created on first use, in the HR group, no password), the
# shared secret of the signed HR webhook, and whether the webhook starts at
# once ("start") or proposes to HR's review queue ("propose").
BATON_INTAKE_USER = env.str("BATON_INTAKE_USER", default="baton-intake")
BATON_INTAKE_WEBHOOK_SECRET = env.str("BATON_INTAKE_WEBHOOK_SECRET", default="")
BATON_INTAKE_WEBHOOK_MODE = env.str("BATON_INTAKE_WEBHOOK_MODE", default="propose")
# Access handover: when revocation runs on the last working day (company time),
# how long a suspended account can be restored, how long "keep" lasts without an
# end date, the most accounts one delete request may touch, and the days after
# departure when residual access is checked.
BATON_ACCESS_REVOKE_AT = env.str("BATON_ACCESS_REVOKE_AT", default="18:00")
BATON_ACCESS_BUFFER_DAYS = env.int("BATON_ACCESS_BUFFER_DAYS", default=30)
BATON_ACCESS_KEEP_DAYS = env.int("BATON_ACCESS_KEEP_DAYS", default=30)
BATON_ACCESS_DELETE_THRESHOLD = env.int("BATON_ACCESS_DELETE_THRESHOLD", default=10)
BATON_ACCESS_RESIDUAL_DAYS = env.list(
    "BATON_ACCESS_RESIDUAL_DAYS", cast=int, default=[1, 30]
)


# What ``config.settings`` takes from here: the settings, not the helpers.
__all__ = [name for name in dir() if name.isupper() and not name.startswith("_")]
