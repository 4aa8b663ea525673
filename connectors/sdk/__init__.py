"""The connector SDK: everything a connector type builds on.

- ``base``: the contract (``ConnectorType``, ``Record``, ``Setting``, errors…).
- ``http``: ``HttpConnector`` for JSON-over-HTTP systems — declared auth,
  pagination, request ids, retries and error translation.
- ``vendor``: the same error translation for maintained vendor client libraries.
- ``payloads``: typed vendor payloads (pydantic).
- ``settings``: settings checked from their declarations.
- ``people``: finding the person an employee is upstream.
- ``network``: the outbound guard (no private networks unless allowed).
- ``common``: the settings and messages many types share.
- ``directory``: what directory types (LDAP, SCIM…) share: their settings, the
  status rule, and the person they list (cms's ``DirectoryValues``).

See docs/connectors.md for a new system in one small file.
"""
