"""HR's side of handovers in the Wagtail admin: the employee archive, the
handover list, starting and cancelling. Views parse input and call
``cms.services``; reads go through ``cms.selectors``."""
