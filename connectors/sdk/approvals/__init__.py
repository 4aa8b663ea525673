"""What the approval types (Feishu, DingTalk) share: the approval-form
adapter (``forms``: a form's amount, date and reason, whatever the vendor's
widgets), the records approvals and reimbursements become and how they are
listed (``records``), and resignation approvals for intake (``intake``)."""
