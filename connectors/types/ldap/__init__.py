"""LDAP / Active Directory: the leaving employee's directory account and its
groups, access changes on them, and everyone in the directory for the
directory sync. ldap3 is the client (the maintained one)."""

from .connector import LdapConnector

__all__ = ["LdapConnector"]
