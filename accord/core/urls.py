from django.contrib.auth import views as auth_views
from django.urls import include, path

from accord.core import views, views_lists, views_tokens

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("search/", views.search, name="search"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views_tokens.token_list, name="token_list"),
    path("profile/tokens/<int:pk>/revoke/", views_tokens.token_revoke, name="token_revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("saved-views/<str:list_key>/save/", views_lists.saved_view_save, name="saved_view_save"),
    path("saved-views/<int:pk>/delete/", views_lists.saved_view_delete, name="saved_view_delete"),
    path("manage/", include("accord.core.urls_admin")),
]
