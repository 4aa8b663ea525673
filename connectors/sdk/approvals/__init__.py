"""What the approval types (Feishu, DingTalk) share: the approval-form
adapter (``forms``: a form's amount, date and reason, whatever the vendor's
widgets), the records approvals and reimbursements become and how they are
listed (``records``), resignation approvals and the platform's users for
intake (``intake``), and the app, its token and error tables (``platform``)."""
