from django.apps import AppConfig


class ChecklistBlocksConfig(AppConfig):
    name = "checklist_blocks"
