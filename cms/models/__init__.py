from .pages import ChecklistTemplatePage, TemplateIndexPage
from .snippets import Department, Role

__all__ = ["ChecklistTemplatePage", "Department", "Role", "TemplateIndexPage"]
