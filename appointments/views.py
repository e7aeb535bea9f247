"""The back office: server-rendered staff pages under /backoffice/ (the API lives in api/).

Every page belongs to the logged-in staff member's employee record and shows only that
employee's enterprise. Staff users without an employee are refused.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q
from django.shortcuts import redirect
from django.views.generic import DetailView, FormView, ListView

from core.languages import LanguagePreference
from participants.models import Employee, working_employee

from .api.serializers import location_representation
from .forms import InviteForm
from .models import Appointment, AppointmentParticipant, Office, Subject


def staff_employee(request) -> Employee:
    """The employee the logged-in staff user works as; 403 for anyone else."""
    employee = working_employee(request.user)
    if employee is None:
        raise PermissionDenied("The back office is for staff members linked to an employee.")
    return employee


class StaffMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; logged-in non-staff get 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.employee = staff_employee(request)
        self.enterprise = self.employee.enterprise
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(employee=self.employee, enterprise=self.enterprise, **kwargs)


def _enterprise_rows(model):
    return lambda request: model.objects.filter(enterprise=staff_employee(request).enterprise)


# The list's orders other than the default: by the appointment's time (invites, without one, last),
# or oldest first. The id breaks ties so that pages never repeat or skip a row.
SORTS = {
    "start": ("Time, soonest first", (F("start").asc(nulls_last=True), "id")),
    "-start": ("Time, latest first", (F("start").desc(nulls_last=True), "-id")),
    "created": ("Created, oldest first", ("created_at", "id")),
}


class AppointmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "External id or customer"}),
    )
    status = django_filters.ChoiceFilter(choices=Appointment.Status.choices, empty_label="Any status")
    meeting_type = django_filters.ChoiceFilter(
        label="Meeting type", choices=Appointment.MeetingType.choices, empty_label="Any meeting type"
    )
    office = django_filters.ModelChoiceFilter(queryset=_enterprise_rows(Office), empty_label="Any office")
    subject = django_filters.ModelChoiceFilter(queryset=_enterprise_rows(Subject), empty_label="Any subject")
    # Empty: the model's order (newest invite first).
    sort = django_filters.ChoiceFilter(
        label="Sort by", method="sort_by", choices=[(key, label) for key, (label, _) in SORTS.items()],
        empty_label="Created, newest first",
    )

    class Meta:
        model = Appointment
        fields = ["q", "status", "meeting_type", "office", "subject", "sort"]

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS[value][1])

    def search(self, queryset, name, value):
        """Every word must match the external id or a customer's name, e-mail or phone."""
        for word in value.split():
            customers = AppointmentParticipant.objects.filter(
                Q(customer__first_name__icontains=word)
                | Q(customer__last_name__icontains=word)
                | Q(customer__email__icontains=word)
                | Q(customer__phone__icontains=word),
                type=AppointmentParticipant.Type.CUSTOMER,
            )
            queryset = queryset.filter(Q(external_id__icontains=word) | Q(pk__in=customers.values("appointment_id")))
        return queryset


def _participants_prefetch() -> Prefetch:
    return Prefetch(
        "participants", queryset=AppointmentParticipant.objects.select_related("employee", "customer").order_by("id")
    )


class AppointmentListView(StaffMixin, ListView):
    template_name = "backoffice/appointment_list.html"
    paginate_by = 25

    def get_queryset(self):
        mine = Appointment.objects.filter(enterprise=self.enterprise).select_related("subject", "office__location")
        self.filter = AppointmentFilter(self.request.GET, queryset=mine, request=self.request)
        return self.filter.qs.prefetch_related(_participants_prefetch())

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        # The Time column's heading sorts by time: soonest first, then (clicked again) latest first.
        by_time = query.copy()
        by_time["sort"] = "-start" if query.get("sort") == "start" else "start"
        return super().get_context_data(
            filter=self.filter,
            query=query.urlencode(),
            sorted_by=query.get("sort", ""),
            sort_by_time_query=by_time.urlencode(),
            **kwargs,
        )


class AppointmentDetailView(StaffMixin, DetailView):
    template_name = "backoffice/appointment_detail.html"
    context_object_name = "appointment"

    def get_queryset(self):
        return (
            Appointment.objects.filter(enterprise=self.enterprise)
            .select_related("subject", "office", "listing", "lead_segment", "callback_request", "location")
            .prefetch_related(_participants_prefetch())
        )

    def get_context_data(self, **kwargs):
        appointment = self.object
        location = appointment.location and location_representation(
            appointment.location, LanguagePreference(), self.enterprise.default_language
        )
        created_by = None
        if appointment.created_by_type == Appointment.ActorType.EMPLOYEE and appointment.created_by_id:
            created_by = Employee.objects.filter(enterprise=self.enterprise, pk=appointment.created_by_id).first()
        return super().get_context_data(location=location, created_by=created_by, **kwargs)


class InviteCreateView(StaffMixin, FormView):
    """New invite: the same form and the same ``invite_create`` as the admin's invite view."""

    template_name = "backoffice/invite_form.html"
    form_class = InviteForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "employee": self.employee}

    def form_valid(self, form):
        appointment = form.create()
        if appointment is None:
            return self.form_invalid(form)
        messages.success(self.request, f"Invite {appointment.pk} created: the customer can now pick a time.")
        return redirect("backoffice:appointment-detail", pk=appointment.pk)
