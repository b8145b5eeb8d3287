from django.urls import path

from . import setup_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.language_choose, name="language"),
    path("setup/", views.setup_home, name="setup"),
    path("setup/users/", setup_views.user_list, name="setup-users"),
    path("setup/users/new/", setup_views.user_new, name="setup-user-new"),
    path("setup/users/<int:pk>/", setup_views.user_edit, name="setup-user-edit"),
    path("setup/users/<int:pk>/active/", setup_views.user_set_active, name="setup-user-active"),
    path("setup/roles/", setup_views.role_list, name="setup-roles"),
    path("setup/roles/new/", setup_views.role_new, name="setup-role-new"),
    path("setup/roles/<int:pk>/", setup_views.role_edit, name="setup-role-edit"),
]
