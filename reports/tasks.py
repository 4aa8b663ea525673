from huey.contrib.djhuey import db_task

from .services import certificate_issue


@db_task(retries=3, retry_delay=30)
def issue_certificate(handover_id: int) -> None:
    """Render the certificate of a completed handover (queued on completion)."""
    certificate_issue(handover_id=handover_id)
