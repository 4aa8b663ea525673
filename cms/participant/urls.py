from django.urls import path

from . import actions, notifications, successor_pick, views

app_name = "participant"
urlpatterns = [
    path("", views.handover_list, name="list"),
    path("notifications/", notifications.my_notifications, name="notifications"),
    path("<int:handover_id>/", views.handover_detail, name="detail"),
    path("<int:handover_id>/state/", views.handover_state, name="state"),
    path("<int:handover_id>/declare/", actions.handover_declare, name="declare"),
    path("<int:handover_id>/approve/", actions.handover_approve, name="approve"),
    path("<int:handover_id>/reopen/", actions.handover_reopen, name="reopen"),
    path(
        "<int:handover_id>/successor/",
        successor_pick.successor_pick,
        name="successor_pick",
    ),
    path(
        "<int:handover_id>/successor/search/",
        successor_pick.successor_search,
        name="successor_search",
    ),
    path(
        "<int:handover_id>/accept-resolved/",
        actions.items_accept_resolved,
        name="accept_resolved",
    ),
    path(
        "<int:handover_id>/participants/add/",
        actions.participant_add,
        name="participant_add",
    ),
    path(
        "<int:handover_id>/participants/remove/",
        actions.participant_remove,
        name="participant_remove",
    ),
    path("items/<int:item_id>/save/", actions.item_save, name="item_save"),
    path(
        "items/<int:item_id>/not-applicable/",
        actions.item_not_applicable,
        name="item_not_applicable",
    ),
    path("items/<int:item_id>/upstream/", actions.item_upstream, name="item_upstream"),
    path("items/<int:item_id>/attachments/", actions.item_attach, name="item_attach"),
    path("items/<int:item_id>/assign/", actions.item_assign, name="item_assign"),
    path("items/<int:item_id>/decide/", actions.item_decide, name="item_decide"),
    path("items/<int:item_id>/comments/", actions.item_comment, name="item_comment"),
    path(
        "items/<int:item_id>/questions/<int:comment_id>/resolve/",
        actions.question_resolve,
        name="question_resolve",
    ),
    path(
        "attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
