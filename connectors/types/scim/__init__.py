"""SCIM 2.0 (RFC 7643/7644): the employee's account and group memberships in an
identity provider such as Okta, Entra ID, Keycloak or authentik; as a
directory, every user in it.

Built on ``HttpConnector`` (bearer or basic auth, ``startIndex``/``count``
paging declared as an ``Offset``). No vendor client: SCIM is a standard each
identity provider implements, and the generic one (scim2-client) validates
whole resources against schema models, where Baton must read what real
servers send (string booleans, partial resources) and mark one unreadable
user rather than fail the list."""

from .connector import ScimConnector
from .payloads import scim_filter

__all__ = ["ScimConnector", "scim_filter"]
