"""Staff see every message and how its delivery went: on the appointment (an inline) and in a list
of their own. From there they can send the invite again (a new link) or send again a message that
failed or may not have arrived. Messages are written by the services, never edited here."""

from django.contrib import admin, messages

from appointments.models import Appointment
from appointments.services import Actor, appointment_resend_invite
from core.errors import DomainError
from participants.admin import EnterpriseScopedAdmin
from participants.models import working_employee

from .models import Message
from .services import messages_send_again

MESSAGE_FIELDS = (
    "created_at",
    "kind",
    "recipient_type",
    "recipient_id",
    "email",
    "language",
    "status",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "last_error",
)


class MessageInline(admin.TabularInline):
    """The appointment's messages, oldest first: read only."""

    model = Message
    fields = MESSAGE_FIELDS
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description="Send the invite again (a new link; older links stop working)", permissions=["change"])
def resend_invite(modeladmin, request, queryset):
    """``appointment_resend_invite`` for each selected appointment, as the logged-in employee."""
    employee = working_employee(request.user)
    if employee is None:
        modeladmin.message_user(request, "Link your login to an employee to send invites.", messages.ERROR)
        return
    actor = Actor(type=Appointment.ActorType.EMPLOYEE, id=str(employee.pk), channel=Appointment.Channel.BACKOFFICE_APP)
    sent, refused = [], []
    for appointment in queryset.select_related("enterprise").order_by("pk"):
        try:
            appointment_resend_invite(enterprise=appointment.enterprise, appointment_id=appointment.pk, actor=actor)
        except DomainError as error:
            refused.append(f"{appointment.pk} ({error.message})")
        else:
            sent.append(str(appointment.pk))
    if sent:
        modeladmin.message_user(request, f"Invite sent again for appointment {', '.join(sent)}.", messages.SUCCESS)
    if refused:
        modeladmin.message_user(request, f"Not sent again: {', '.join(refused)}.", messages.WARNING)


@admin.register(Message)
class MessageAdmin(EnterpriseScopedAdmin):
    enterprise_path = "appointment__enterprise"
    list_display = ("__str__", "appointment", "email", "status", "attempts", "sent_at", "created_at")
    list_filter = ("status", "kind", "recipient_type")
    search_fields = ("email", "=appointment__id", "=appointment__external_id")
    list_select_related = ("appointment",)
    date_hierarchy = "created_at"
    fields = ("appointment", "subject", "note", "start", "end", "sequence", *MESSAGE_FIELDS, "claimed_until")
    readonly_fields = fields
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send again (failed, skipped or uncertain messages)", permissions=["change"])
    def send_again(self, request, queryset):
        by = request.user.get_username() or "staff"
        count = messages_send_again(message_ids=list(queryset.values_list("pk", flat=True)), by=by)
        skipped = queryset.count() - count
        self.message_user(request, f"{count} message(s) will be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} message(s) left alone: only failed, skipped or uncertain ones are sent again.", messages.WARNING
            )
