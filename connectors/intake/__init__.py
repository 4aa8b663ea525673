"""Intake triggers: the signed HR webhook, Feishu and DingTalk resignation
approvals (event callbacks and a periodic poll). Each turns what it received
into a ``cms.services.intake.ResignationNotice`` and hands it to
``resignation_receive``; cms decides everything else."""
