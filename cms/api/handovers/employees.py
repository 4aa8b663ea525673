"""The employee archive as API consumers see it."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets

from cms import selectors
from cms.models import (
    Employee,
)

from .common import _documented
from .serializers import EmployeeDetailSerializer, EmployeeSerializer

# Employees -------------------------------------------------------------------------


class EmployeeFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(
        field_name="department__code", label=_("Department code")
    )
    status = django_filters.ChoiceFilter(choices=Employee.Status.choices)

    class Meta:
        model = Employee
        fields = ["department", "status"]


@extend_schema(tags=["employees"])
@extend_schema_view(
    list=extend_schema(summary="Employees I may see"),
    retrieve=_documented(
        "One employee", response=EmployeeDetailSerializer, errors=(404,)
    ),
)
class EmployeeViewSet(viewsets.ReadOnlyModelViewSet):
    """The employee archive: HR admins see all; others see themselves and the
    employees whose handovers they take part in."""

    filterset_class = EmployeeFilter
    search_fields = ["name", "employee_number", "position"]
    ordering_fields = ["name", "employee_number", "hire_date"]
    ordering = ["name"]
    lookup_value_converter = "id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Employee.objects.none()
        return selectors.employees_for_user(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return EmployeeDetailSerializer
        return EmployeeSerializer
