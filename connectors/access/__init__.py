"""Access handover: inventory, decisions, dry run, execution, verification.

- **Inventory** (``inventory``). Connectors that can both discover and revoke
  are asked for the leaver's accounts and group memberships; each becomes an
  ``AccessGrant`` and an ``account`` item of the handover (section "Access"),
  filled by IT and confirmed by the manager like any item. Its ``action`` field
  is the decision: revoke, transfer to the successor, or keep (with a reason
  and an end date). HR or IT add grants by hand for systems with no connector.
- **Plan** (``planning``). When the decision is accepted, the changes are
  planned: suspend the account / remove the membership at the end of the last
  working day (company time zone), add the successor to transferred groups at
  once, act on kept access at its end date. ``access_dry_run`` lists exactly
  what will change.
- **Run** (``running``). A periodic job runs what is due (IT can "revoke now",
  ``controls``); each change is read back and marked verified or failed;
  failures wait in IT's queue. Systems without a connector get an IT task with
  the instructions, closed by IT with a signature.
- **Never destructive by default** (``controls``). Suspend → buffer → delete
  only when an admin asks, per system, under a count threshold. A suspended
  account can be restored within the buffer.
- **Residual access** (``residual``). Former employees' accounts are re-checked
  at departure +1 and +30 days; anything still active is reported and IT is
  alerted.

The models (``models``) belong to the ``connectors`` app, which imports them
while Django loads its models: this package imports nothing on its own, so
loading them never pulls in the services. ``services`` gathers the public
functions; ``admin_views`` and ``api`` are IT's screens and endpoints.
"""
