from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("verify/", views.verify, name="verify-form"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
