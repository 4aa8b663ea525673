"""``{% load baton_names %}{{ user|person_name }}``: a person's name in a
template, by the one name rule (``cms.names``) in the active language."""

from django import template

from cms import names

register = template.Library()


@register.filter
def person_name(person) -> str:
    """A user, an HR record (``Employee``) or a plain string, written by the
    rule for the active language; "" for nothing."""
    if person is None or person == "":
        return ""
    return names.person_name(person)
