"""Tryton CRM (module ``sale_opportunity``): the employee's clients and open
opportunities, and reassigning opportunities to the successor.

Tryton keeps no owner on a party; what belongs to a salesperson is an
opportunity, whose ``employee`` (a ``company.employee``) is in charge. A
**deal** is an open opportunity (Lead or Opportunity) of the employee; a
**client** is a party they have open, converted or won opportunities with (lost
and cancelled ones are history), listing the open ones and the party's latest
quotation. The employee is found through the employee record's party, by the
``match_attribute`` setting: its e-mail (default), its party code (the employee
number) or the login of a Tryton user linked to it; someone without an
employee record simply has nothing there.

``connector``: the type (settings, finding people, write-backs); ``records``:
listing deals and clients; ``rpc``: the XML-RPC session through proteus (the
maintained client) and its error translation.
"""

from .connector import TrytonConnector

__all__ = ["TrytonConnector"]
