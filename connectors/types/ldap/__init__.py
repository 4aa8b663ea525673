"""LDAP / Active Directory: the leaving employee's directory account and the
groups it belongs to, access changes on them, and as a directory everyone in
it. ldap3 is the client (the maintained one).

- ``settings``: what the connector is told (the directory settings are the
  SDK's, shared with SCIM: ``connectors.sdk.directory``).
- ``connection``: binds, paged searches, writes and their failures in words.
- ``entries``: reading entries, DNs, group members and directory dates.
- ``connector``: the type — finding the person, listing accounts and groups.
- ``access``: suspend, restore, delete, group membership, and reading back.
- ``directory``: everyone in the directory, for the directory sync.
"""

from .connector import LdapConnector

__all__ = ["LdapConnector"]
