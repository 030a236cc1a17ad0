"""Routes of one part of the service desk; accord/service/urls.py joins them.

The contact-centre board and the administration of queues and routing rules."""

from django.urls import URLPattern, URLResolver, path

from accord.service import views_queues as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("service/board/", views.board, name="board"),
    path("service/board/live/", views.board_live, name="board_live"),
    path("service/manage/queues/", views.queue_list, name="queue_list"),
    path("service/manage/queues/new/", views.queue_create, name="queue_create"),
    path("service/manage/queues/<int:pk>/", views.queue_edit, name="queue_edit"),
    path("service/manage/queues/<int:pk>/delete/", views.queue_delete, name="queue_delete"),
    path("service/manage/routing/", views.routing_rules, name="routing_rules"),
    path("service/manage/routing/new/", views.routing_rule_create, name="routing_rule_create"),
    path("service/manage/routing/test/", views.routing_preview, name="routing_preview"),
    path("service/manage/routing/<int:pk>/", views.routing_rule_edit, name="routing_rule_edit"),
    path(
        "service/manage/routing/<int:pk>/move/",
        views.routing_rule_move,
        name="routing_rule_move",
    ),
    path(
        "service/manage/routing/<int:pk>/toggle/",
        views.routing_rule_toggle,
        name="routing_rule_toggle",
    ),
    path(
        "service/manage/routing/<int:pk>/delete/",
        views.routing_rule_delete,
        name="routing_rule_delete",
    ),
]
