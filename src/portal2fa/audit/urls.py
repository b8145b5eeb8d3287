from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("setup/audit/", views.log, name="log"),
    path("setup/audit/export.csv", views.export, name="export"),
]
