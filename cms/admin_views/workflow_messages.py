"""Say what a reviewer's approve / reject did to a handover template.

Wagtail's dashboard "Awaiting your review" buttons show no message at all, and
approving from the page editor only says the page "has been updated". HR reading
the admin in Chinese should see, in their language, that the template was
approved (and published, when that was the workflow's last step) or sent back.

The two views are small subclasses plugged in through a ``PageViewSet`` for
``ChecklistTemplatePage``: Wagtail routes a page's workflow action and edit views
through the viewset registered for its type.
"""

from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.views.pages.edit import EditView
from wagtail.admin.views.pages.workflow import WorkflowActionView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.models import TaskState, WorkflowState

from cms.models import ChecklistTemplatePage

__all__ = ["ChecklistTemplatePageViewSet", "add_workflow_outcome_message"]


def workflow_outcome_message(*, page, task_state: TaskState) -> str | None:
    """The sentence for what just happened to ``task_state``; None while it is
    still open (the action did nothing, or was not approve / reject)."""
    task_state.refresh_from_db()
    title = page.get_admin_display_title()
    if task_state.status == TaskState.STATUS_REJECTED:
        return _("Changes were requested on “%(title)s”.") % {"title": title}
    if task_state.status != TaskState.STATUS_APPROVED:
        return None
    workflow_state = task_state.workflow_state
    page.refresh_from_db(fields=["live", "live_revision", "latest_revision"])
    # Approving from the editor saves the reviewer's edits as a newer revision
    # than the task's; a go-live date in the future only schedules it.
    published = (
        workflow_state.status == WorkflowState.STATUS_APPROVED
        and page.live
        and page.live_revision_id == page.latest_revision_id
    )
    if published:
        return _("“%(title)s” was approved and published.") % {"title": title}
    return _("“%(title)s” was approved.") % {"title": title}


def add_workflow_outcome_message(request, *, page, task_state) -> bool:
    """Queue the outcome message for the next page; False if there was none."""
    message = workflow_outcome_message(page=page, task_state=task_state)
    if message is None:
        return False
    messages.success(request, message)
    return True


class TemplateWorkflowActionView(WorkflowActionView):
    """The dashboard's approve / request-changes buttons, with a message."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # A modal form with errors is re-rendered: the task is still open and
        # no message is added.
        add_workflow_outcome_message(
            request, page=self.object, task_state=self.task_state
        )
        return response


class TemplateEditView(EditView):
    """Approve / request changes from the editor's action menu: the outcome
    replaces Wagtail's "page has been updated"."""

    acted_task_state = None

    def perform_workflow_action(self):
        self.acted_task_state = self.page.current_workflow_task_state
        return super().perform_workflow_action()

    def add_save_confirmation_message(self):
        if self.acted_task_state is not None and add_workflow_outcome_message(
            self.request, page=self.page, task_state=self.acted_task_state
        ):
            return
        super().add_save_confirmation_message()


class ChecklistTemplatePageViewSet(PageViewSet):
    model = ChecklistTemplatePage
    edit_view_class = TemplateEditView
    workflow_action_view_class = TemplateWorkflowActionView
    # Only the views above change: the explorer keeps Wagtail's own listing
    # of the template library's children.
    parent_models = []
