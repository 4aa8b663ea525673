"""Wagtail admin hooks of the template editor.

The editor script turns a condition's typed key into a list of the template's
questions and shows a question only the settings its kind uses. The create
hook keeps Wagtail 8's autosave from creating pages nobody saved.
"""

from django.http import JsonResponse
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext
from wagtail import hooks

EXPLICIT_CREATE_ACTIONS = ("action-publish", "action-submit")


@hooks.register("insert_editor_js")
def editor_js():
    return format_html(
        '<script src="{}"></script>', static("checklist_blocks/editor.js")
    )


# Wagtail 8 has no editor-only CSS hook; the rules only match editor blocks.
@hooks.register("insert_global_admin_css")
def editor_css():
    return format_html(
        '<link rel="stylesheet" href="{}">', static("checklist_blocks/editor.css")
    )


@hooks.register("before_create_page")
def refuse_autosave_of_a_new_page(request, parent_page, page_class):
    """A new page exists once its author saves it, not once they start typing.

    Wagtail 8 autosaves the "add page" form in the background (a POST asking
    for JSON), and the first autosave creates the page: an attempt abandoned
    after a few keystrokes left a draft page behind. The editor script turns
    autosave off on that form; this refuses what still arrives. Saving a draft,
    submitting and publishing are ordinary form posts and go through.
    """
    if request.method != "POST" or request.accepts("text/html"):
        return None
    if any(request.POST.get(action) for action in EXPLICIT_CREATE_ACTIONS):
        return None
    return JsonResponse(
        {
            "success": False,
            "error_code": "blocked_by_hook",
            "error_message": gettext(
                "A new page is only saved when you choose “Save draft”."
            ),
        },
        status=400,
    )
