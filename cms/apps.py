from django.apps import AppConfig


class CmsConfig(AppConfig):
    verbose_name = "Baton"
    name = "cms"
