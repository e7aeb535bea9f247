"""When appointments can take place: opening hours, employee hours, closures, the rules per
subject, and the time booked appointments hold.

Weekly hours are wall-clock times in the office's zone (its location's ``time_zone``), so that an
office open 09:00–17:00 stays open 09:00–17:00 across daylight-saving changes.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from appointments.models import Appointment, Office, Subject
from participants.models import Employee, Enterprise


class Weekday(models.IntegerChoices):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


class WeeklyHours(models.Model):
    """A block of a week: on ``weekday``, from ``start`` to ``end`` (local wall-clock time)."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        abstract = True
        ordering = ["weekday", "start"]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self):
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})

    @staticmethod
    def end_after_start(name: str) -> models.CheckConstraint:
        return models.CheckConstraint(condition=Q(end__gt=F("start")), name=name)


class OpeningHours(WeeklyHours):
    """When an office is open; its employees' hours, where none are set for them."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="opening_hours")

    class Meta(WeeklyHours.Meta):
        verbose_name_plural = "opening hours"
        constraints = [WeeklyHours.end_after_start("opening_hours_end_after_start")]
        indexes = [models.Index(fields=["office", "weekday"], name="opening_hours_office_idx")]


class EmployeeHours(WeeklyHours):
    """When an employee works at an office. An employee with none at an office works its opening
    hours there."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="employee_hours")

    class Meta(WeeklyHours.Meta):
        verbose_name_plural = "employee hours"
        constraints = [WeeklyHours.end_after_start("employee_hours_end_after_start")]
        indexes = [models.Index(fields=["office", "employee"], name="employee_hours_office_idx")]

    def clean(self):
        super().clean()
        if self.employee_id and self.office_id and self.employee.enterprise_id != self.office.enterprise_id:
            raise ValidationError({"employee": "The employee must belong to the office's enterprise."})


class Closure(models.Model):
    """Days an office, or an employee (at every office), is closed: ``first_day`` to ``last_day``
    inclusive, in the office's local calendar."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, null=True, blank=True, related_name="closures")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["first_day", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="closure_last_day_not_before_first"),
            models.CheckConstraint(
                condition=Q(office__isnull=True) ^ Q(employee__isnull=True), name="closure_of_office_or_employee"
            ),
        ]

    def __str__(self):
        who = self.office or self.employee
        return f"{who} closed {self.first_day}–{self.last_day}"

    def clean(self):
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": "The last day cannot be before the first."})
        if (self.office_id is None) == (self.employee_id is None):
            raise ValidationError("A closure is either an office's or an employee's.")

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


class SubjectAvailability(models.Model):
    """How a subject is booked at an office for a meeting type: the vendor's availability settings.

    A row without office, subject and meeting type is the enterprise's default, for every
    combination that has no row of its own. Without even that, the field defaults below apply.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    meeting_type = models.CharField(max_length=16, choices=Appointment.MeetingType.choices, blank=True)
    estimated_duration = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)], help_text="Minutes")
    time_slot_granularity = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text="Minutes between possible starts"
    )
    trailing_buffer_time = models.PositiveIntegerField(default=0, help_text="Minutes kept free after each appointment")
    time_slot_earliest_possible = models.PositiveIntegerField(default=120, help_text="Minutes from now")
    time_slot_latest_possible = models.PositiveIntegerField(default=60 * 24 * 60, help_text="Minutes from now")
    max_concurrent_appointments = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Per employee, at one time"
    )
    auto_accept = models.BooleanField(default=True, help_text="Off: a booking waits for an employee to accept it")

    class Meta:
        verbose_name = "subject availability"
        verbose_name_plural = "subject availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(office__isnull=True, subject__isnull=True, meeting_type="")
                | (Q(office__isnull=False, subject__isnull=False) & ~Q(meeting_type="")),
                name="subject_availability_default_or_complete",
            ),
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(office__isnull=True), name="subject_availability_one_default"
            ),
            models.UniqueConstraint(
                fields=["office", "subject", "meeting_type"],
                condition=Q(office__isnull=False),
                name="subject_availability_unique",
            ),
            models.CheckConstraint(condition=Q(estimated_duration__gte=1), name="subject_availability_duration"),
            models.CheckConstraint(condition=Q(time_slot_granularity__gte=1), name="subject_availability_granularity"),
            models.CheckConstraint(
                condition=Q(max_concurrent_appointments__gte=1), name="subject_availability_concurrency"
            ),
            models.CheckConstraint(
                condition=Q(time_slot_latest_possible__gte=F("time_slot_earliest_possible")),
                name="subject_availability_latest_after_earliest",
            ),
        ]

    def __str__(self):
        if self.office_id is None:
            return "Default"
        return f"{self.subject} at {self.office}, {self.get_meeting_type_display()}"

    def clean(self):
        parts = (self.office_id, self.subject_id, self.meeting_type or None)
        if any(part is not None for part in parts) and not all(part is not None for part in parts):
            raise ValidationError("Set office, subject and meeting type, or none of them for the default.")
        for part in (self.office, self.subject):
            if part is not None and self.enterprise_id is not None and part.enterprise_id != self.enterprise_id:
                raise ValidationError(f"{part} belongs to another enterprise.")
        if (self.time_slot_latest_possible or 0) < (self.time_slot_earliest_possible or 0):
            raise ValidationError({"time_slot_latest_possible": "Must not be before the earliest possible."})


class BusyTime(models.Model):
    """The time a booked appointment holds of one of its PRIMARY employees, its trailing buffer
    included. Rows exist exactly while the appointment is booked (``Appointment.BOOKED_STATUSES``);
    the booking services write and delete them. Free slots subtract them; on PostgreSQL an
    exclusion constraint refuses two overlapping ``exclusive`` rows of one employee (capacity 1).
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    exclusive = models.BooleanField(help_text="Booked with a capacity of one: nothing may overlap it")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="busy_time_end_after_start"),
            models.UniqueConstraint(fields=["appointment", "employee"], name="busy_time_once_per_employee"),
        ]
        indexes = [models.Index(fields=["employee", "start"], name="busy_time_employee_start_idx")]

    def __str__(self):
        return f"{self.employee} busy {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} UTC"

