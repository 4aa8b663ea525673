"""Breadcrumbs of Baton's snippet screens in the reader's language.

Wagtail's ``SnippetViewSet.breadcrumbs_items`` translates "Home" once, when the
views are built at start-up, so every reader saw it in the server's language.
Here the labels stay lazy and are translated for each request."""

from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSet

__all__ = ["TranslatedSnippetViewSet"]


class TranslatedSnippetViewSet(SnippetViewSet):
    @property
    def breadcrumbs_items(self):
        items = [{"url": reverse_lazy("wagtailadmin_home"), "label": _("Home")}]
        if (
            getattr(settings, "WAGTAILSNIPPETS_MENU_SHOW_ALL", False)
            or not self.get_menu_item_is_registered()
        ):
            items.append(
                {"url": reverse_lazy("wagtailsnippets:index"), "label": _("Snippets")}
            )
        return items
