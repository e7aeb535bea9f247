"""``manage.py import_invites``: both formats, references, re-runs, errors, dry run, --atomic."""

import csv
import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.api.serializers import appointment_representation
from appointments.models import Appointment, AppointmentParticipant
from core.languages import LanguagePreference
from locations.models import Location
from participants.models import Customer
from tests.factories import CustomerFactory, EmployeeFactory, SubjectFactory
from tests.support import on_another_connection, post_invite


@pytest.fixture
def with_external_ids(acme):
    """acme with external ids on what the rows reference."""
    for name, row in [
        ("subject", acme.subject),
        ("office", acme.office),
        ("listing", acme.listing),
        ("segment", acme.lead_segment),
        ("callback", acme.callback_request),
        *((f"employee-{i}", e) for i, e in enumerate(acme.employees)),
        *((f"customer-{i}", c) for i, c in enumerate(acme.customers)),
    ]:
        row.external_id = f"acme-{name}"
        row.save(update_fields=["external_id"])
    return acme


def body(**overrides) -> dict:
    value = {
        "subjectId": "external://acme-subject",
        "officeId": "external://acme-office",
        "appointmentParticipants": [
            {"role": "PRIMARY", "participantId": "external://acme-employee-0", "type": "EMPLOYEE"},
            {"role": "PRIMARY", "participantId": "external://acme-customer-0", "type": "CUSTOMER"},
        ],
        "meetingType": "OFFICE",
    }
    value.update(overrides)
    return value


def with_location(**location) -> dict:
    return {
        "countryCode": "BE",
        "postalCode": "9000",
        "geolocation": {"latitude": 51.05, "longitude": 3.72},
        "translations": {"city": [{"language": "en", "value": "Ghent"}, {"language": "nl", "value": "Gent"}]},
        **location,
    }


def jsonl(tmp_path, *rows, name="invites.jsonl"):
    path = tmp_path / name
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


class Run:
    def __init__(self, stdout: str, stderr: str, failed: bool):
        self.stdout, self.stderr, self.failed = stdout, stderr, failed


def run(path, *args, enterprise="acme") -> Run:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_invites", str(path), "--enterprise", enterprise, *args, stdout=out, stderr=err)
    except CommandError as error:
        if "row(s) failed" not in str(error):
            raise
        return Run(out.getvalue(), err.getvalue(), True)
    return Run(out.getvalue(), err.getvalue(), False)


def report(tmp_path, path, *args) -> tuple[Run, list[list[str]]]:
    errors = tmp_path / "errors.csv"
    result = run(path, "--errors", str(errors), *args)
    with errors.open(newline="") as file:
        return result, list(csv.reader(file))


# --- Both formats, references --------------------------------------------------------------------


def test_jsonl_rows_become_invites_referenced_by_id_or_external_id(with_external_ids, tmp_path):
    path = jsonl(
        tmp_path,
        body(externalId="crm-1"),
        body(
            externalId="crm-2",
            subjectId=str(with_external_ids.subject.pk),
            meetingType="ON_LOCATION",
            location=with_location(),
            listingId="external://acme-listing",
            leadSegmentId=str(with_external_ids.lead_segment.pk),
            callbackRequestId="external://acme-callback",
        ),
    )

    result = run(path)

    assert not result.failed
    assert "2 created, 0 skipped, 0 failed" in result.stdout
    first, second = Appointment.objects.filter(enterprise=with_external_ids.enterprise).order_by("external_id")
    assert (first.subject, first.office, first.location) == (with_external_ids.subject, with_external_ids.office, with_external_ids.office.location)
    assert {p.participant_id for p in first.participants.all()} == {with_external_ids.employees[0].pk, with_external_ids.customers[0].pk}
    assert (second.listing, second.lead_segment, second.callback_request) == (
        with_external_ids.listing,
        with_external_ids.lead_segment,
        with_external_ids.callback_request,
    )
    assert (second.location.city_en, second.location.city_nl, second.location.time_zone) == ("Ghent", "Gent", "Europe/Brussels")
    assert (first.created_by_type, first.created_by_id, first.created_from) == ("SYSTEM", None, "IMPORT")


def test_an_imported_invite_is_the_one_the_api_creates_from_the_same_body(with_external_ids, api, tmp_path):
    shared = with_external_ids.invite_body(
        meetingType="ON_LOCATION",
        location=with_location(translations={"city": [{"language": "no", "value": "Gent"}], "street1": [{"language": "en", "value": "Veldstraat 1"}]}),
        hybrid=True,
        trailingBufferTime=10,
        internalNotes="Staff only",
        message="See you",
    )
    from_api = post_invite(api, {**shared, "externalId": "api"}).json()["data"]
    run(jsonl(tmp_path, {**shared, "externalId": "file"}))

    imported = Appointment.objects.select_related("location").get(external_id="file")
    from_file = appointment_representation(imported, LanguagePreference(), "en")
    different = {"id", "externalId", "createdAt", "updatedAt", "createdBy", "createdByType", "createdFrom", "updatedBy", "updatedByType", "updatedFrom"}
    assert {k: v for k, v in from_file.items() if k not in different} == {k: v for k, v in from_api.items() if k not in different}


def test_csv_rows_are_converted_to_the_same_invites(with_external_ids, tmp_path):
    path = tmp_path / "invites.csv"
    path.write_text(
        "externalId,subjectId,officeId,meetingType,participants,listingId,hybrid,trailingBufferTime,internalNotes,"
        "countryCode,postalCode,latitude,longitude,city_en,city_no,street1_nl\n"
        "csv-1,external://acme-subject,external://acme-office,OFFICE,"
        "PRIMARY:EMPLOYEE:external://acme-employee-0 ; PRIMARY:CUSTOMER:external://acme-customer-0,,,,,,,,,,,\n"
        f"csv-2,{with_external_ids.subject.pk},external://acme-office,ON_LOCATION,"
        f"PRIMARY:EMPLOYEE:{with_external_ids.employees[1].pk};PRIMARY:CUSTOMER:external://acme-customer-1;SECONDARY:CUSTOMER:external://acme-customer-2,"
        'external://acme-listing,true,15,"Ring twice, then wait",be,9000,51.05,3.72,Ghent,Gent,Veldstraat 1\n',
        encoding="utf-8-sig",  # as spreadsheet programs write it
    )

    result = run(path)

    assert not result.failed, result.stderr
    second = Appointment.objects.get(external_id="csv-2")
    assert (second.hybrid, second.trailing_buffer_time, second.internal_notes) == (True, 15, "Ring twice, then wait")
    assert second.listing == with_external_ids.listing
    assert second.participants.count() == 3
    location = second.location
    assert (location.country_code, location.latitude, location.city_en, location.city_nb, location.street1_nl) == (
        "BE",
        51.05,
        "Ghent",
        "Gent",
        "Veldstraat 1",
    )
    assert Appointment.objects.get(external_id="csv-1").location == with_external_ids.office.location


def test_the_samples_in_the_repository_import_against_the_demo_data(db, tmp_path, settings):
    call_command("seed_demo", stdout=io.StringIO())
    root = settings.BASE_DIR / "samples"
    for name in ("invites.jsonl", "invites.csv"):
        result = run(root / name)
        assert not result.failed, result.stderr
        assert "3 created" in result.stdout


def test_references_never_reach_another_enterprise(with_external_ids, globex, tmp_path):
    globex.subject.external_id = "globex-subject"
    globex.subject.save()
    path = jsonl(tmp_path, body(subjectId="external://globex-subject"), body(subjectId=str(globex.subject.pk)))

    result, rows = report(tmp_path, path)

    assert result.failed
    assert [row[:2] for row in rows[1:]] == [["1", "SUBJECT_NOT_FOUND"], ["2", "SUBJECT_NOT_FOUND"]]
    assert not Appointment.objects.exists()


def test_created_by_names_the_employee_by_id_or_external_id(with_external_ids, tmp_path):
    run(jsonl(tmp_path, body(externalId="a")), "--created-by", "external://acme-employee-2")
    run(jsonl(tmp_path, body(externalId="b")), "--created-by", str(with_external_ids.employees[1].pk))

    assert list(Appointment.objects.order_by("external_id").values_list("created_by_type", "created_by_id", "created_from")) == [
        ("EMPLOYEE", str(with_external_ids.employees[2].pk), "IMPORT"),
        ("EMPLOYEE", str(with_external_ids.employees[1].pk), "IMPORT"),
    ]
    with pytest.raises(CommandError, match="No employee"):
        run(jsonl(tmp_path, body()), "--created-by", "external://nobody")


def test_standard_input_is_read_with_a_dash(with_external_ids, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((json.dumps(body()) + "\n").encode())))

    assert not run("-", "--format", "jsonl").failed
    assert Appointment.objects.count() == 1


# --- Re-runs -------------------------------------------------------------------------------------


def test_a_second_run_of_the_same_file_creates_nothing(with_external_ids, tmp_path):
    path = jsonl(tmp_path, body(externalId="x-1"), body(externalId="x-2"), body())
    run(path)

    result = run(path)

    assert "1 created, 2 skipped, 0 failed" in result.stdout  # a row without externalId cannot be recognised
    assert Appointment.objects.filter(external_id__isnull=False).count() == 2


def test_an_external_id_repeated_in_the_file_is_skipped_unless_its_first_row_failed(with_external_ids, tmp_path):
    path = jsonl(
        tmp_path,
        body(externalId="dup"),
        body(externalId="dup", message="again"),
        body(externalId="fixed-later", subjectId="external://missing"),
        body(externalId="fixed-later"),
    )

    result = run(path, "--batch-size", "2")

    assert "2 created, 1 skipped, 1 failed" in result.stdout
    assert Appointment.objects.get(external_id="dup").message_for_customer is None


def test_rows_already_imported_are_skipped_in_a_dry_run_too(with_external_ids, tmp_path):
    run(jsonl(tmp_path, body(externalId="x-1")))

    result = run(jsonl(tmp_path, body(externalId="x-1"), body(externalId="x-2")), "--dry-run")

    assert "1 would be created (dry run), 1 skipped" in result.stdout


# --- Errors --------------------------------------------------------------------------------------


def test_every_failed_row_is_reported_with_line_code_message_and_pointer(with_external_ids, tmp_path):
    other = CustomerFactory(enterprise=with_external_ids.enterprise)
    path = jsonl(
        tmp_path,
        body(externalId="good-1"),
        "{not json",
        "",
        body(subjectId=1, colour="red"),
        body(officeId="external://nope"),
        body(appointmentParticipants=[body()["appointmentParticipants"][0], {"role": "PRIMARY", "type": "CUSTOMER", "participantId": "999999"}]),
        body(listingId="external://nope"),
        body(leadSegmentId="external://nope"),
        body(callbackRequestId="external://nope"),
        body(meetingType="ON_LOCATION"),
        body(appointmentParticipants=[body()["appointmentParticipants"][1], {"role": "SECONDARY", "type": "CUSTOMER", "participantId": "external://acme-customer-0"}]),
        body(location=with_location(geolocation={"latitude": 45.0, "longitude": -30.0})),
        "[1, 2]",
        body(externalId="good-2", appointmentParticipants=[{"role": "PRIMARY", "type": "CUSTOMER", "participantId": str(other.pk)}, body()["appointmentParticipants"][0]]),
    )

    result, rows = report(tmp_path, path)

    assert result.failed
    assert rows[0] == ["line", "code", "message", "pointer"]
    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [
        ("2", "MALFORMED_JSON", ""),
        ("4", "INVALID_TYPE", "/subjectId"),
        ("4", "UNKNOWN_PROPERTY", "/colour"),
        ("5", "OFFICE_NOT_FOUND", "/officeId"),
        ("6", "PARTICIPANT_NOT_FOUND", "/appointmentParticipants/1/participantId"),
        ("7", "LISTING_NOT_FOUND", "/listingId"),
        ("8", "LEAD_SEGMENT_NOT_FOUND", "/leadSegmentId"),
        ("9", "CALLBACK_REQUEST_NOT_FOUND", "/callbackRequestId"),
        ("10", "APPOINTMENT_LOCATION_REQUIRED", "/location"),
        ("11", "APPOINTMENT_PARTICIPANTS_NOT_UNIQUE", "/appointmentParticipants"),
        ("12", "LOCATION_TIME_ZONE_RESOLUTION_FAILED", "/location"),
        ("13", "INVALID_TYPE", ""),
    ]
    assert rows[4][2] == "Office external://nope was not found"
    assert "line 5: OFFICE_NOT_FOUND Office external://nope was not found (/officeId)" in result.stderr
    assert "2 created, 0 skipped, 11 failed" in result.stdout
    assert set(Appointment.objects.values_list("external_id", flat=True)) == {"good-1", "good-2"}


def test_business_rules_answer_in_the_contracts_order_like_the_api(with_external_ids, api, tmp_path):
    # Everything is wrong at once: the API names the subject first, and so must the import.
    wrong = body(subjectId="404", officeId="404", meetingType="ON_LOCATION", listingId="404")
    api_code = post_invite(api, wrong).json()["errors"][0]["code"]

    _, rows = report(tmp_path, jsonl(tmp_path, wrong))

    assert rows[1][1] == api_code == "SUBJECT_NOT_FOUND"


def test_schema_violations_are_the_apis(with_external_ids, api, tmp_path):
    wrong = body(meetingType="TELEPATHY", trailingBufferTime=-1, location={"countryCode": "BEL", "translations": {"city": []}})
    from_api = {(e["code"], e["arguments"]["pointer"]) for e in post_invite(api, wrong).json()["errors"]}

    _, rows = report(tmp_path, jsonl(tmp_path, wrong))

    assert {(row[1], row[3]) for row in rows[1:]} == from_api
    assert ("TOO_SHORT", "/location/translations/city") in from_api


def test_a_hostile_line_is_reported_and_the_others_imported(with_external_ids, tmp_path):
    """Nested past the decoder's depth, a lone surrogate as a property name: each is that line's
    error, and the file goes on."""
    deep = "[" * 100_000 + "]" * 100_000
    surrogate = json.dumps(body(externalId="x")).replace('"externalId"', '"\\ud800"')
    path = jsonl(tmp_path, deep, surrogate, body(externalId="good"))

    result, rows = report(tmp_path, path)

    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [
        ("1", "MALFORMED_JSON", ""),
        ("2", "UNKNOWN_PROPERTY", "/\\ud800"),
    ]
    assert set(Appointment.objects.values_list("external_id", flat=True)) == {"good"}


def test_a_csv_number_too_long_to_convert_is_too_large(with_external_ids, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "subjectId,officeId,meetingType,participants,trailingBufferTime\n"
        f"external://acme-subject,external://acme-office,OFFICE,PRIMARY:EMPLOYEE:external://acme-employee-0;PRIMARY:CUSTOMER:external://acme-customer-0,{'9' * 5000}\n"
        "external://acme-subject,external://acme-office,OFFICE,PRIMARY:EMPLOYEE:external://acme-employee-0;PRIMARY:CUSTOMER:external://acme-customer-0,5\n"
    )

    result, rows = report(tmp_path, path)

    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [("2", "TOO_LARGE", "/trailingBufferTime")]
    assert Appointment.objects.get().trailing_buffer_time == 5


def test_csv_values_that_do_not_convert_are_reported_where_the_body_has_them(with_external_ids, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "subjectId,officeId,meetingType,participants,hybrid,trailingBufferTime,countryCode,latitude\n"
        "external://acme-subject,external://acme-office,OFFICE,PRIMARY:CUSTOMER:1;PRIMARY:EMPLOYEE,maybe,soon,BE,north\n"
        "external://acme-subject,external://acme-office,OFFICE,x,,,,,surplus\n"
    )

    result, rows = report(tmp_path, path)

    assert result.failed
    assert {(row[0], row[1], row[3]) for row in rows[1:]} == {
        ("2", "REQUIRED", "/appointmentParticipants/1/participantId"),
        ("2", "INVALID_TYPE", "/hybrid"),
        ("2", "INVALID_TYPE", "/trailingBufferTime"),
        ("2", "INVALID_TYPE", "/location/geolocation/latitude"),
        ("2", "REQUIRED", "/location/geolocation/longitude"),
        ("2", "REQUIRED", "/location/translations/city"),
        ("3", "CSV_TOO_MANY_CELLS", ""),
    }


def test_csv_line_numbers_count_line_breaks_inside_quoted_cells(with_external_ids, tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text(
        "subjectId,officeId,meetingType,participants,internalNotes\n"
        'external://acme-subject,external://acme-office,OFFICE,PRIMARY:EMPLOYEE:external://acme-employee-0;PRIMARY:CUSTOMER:external://acme-customer-0,"two\nlines"\n'
        "\n"
        "external://nope,external://acme-office,OFFICE,PRIMARY:EMPLOYEE:external://acme-employee-0;PRIMARY:CUSTOMER:external://acme-customer-0,\n"
    )

    _, rows = report(tmp_path, path)

    assert [row[:2] for row in rows[1:]] == [["5", "SUBJECT_NOT_FOUND"]]
    assert Appointment.objects.get().internal_notes == "two\nlines"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("subjectId,officeId,meetingType,participants,colour", "unknown columns: colour"),
        ("subjectId,meetingType", "missing columns: officeId, participants"),
    ],
)
def test_a_csv_header_with_unknown_or_missing_columns_stops_before_any_row(with_external_ids, tmp_path, header, message):
    path = tmp_path / "bad.csv"
    path.write_text(header + "\n1,2,OFFICE,x\n")

    with pytest.raises(CommandError, match=message):
        run(path)


def test_an_unreadable_csv_stops_with_a_message(with_external_ids, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("subjectId,officeId,meetingType,participants\n1,2,OFFICE,\"" + "x" * 200_000 + "\"\n")

    with pytest.raises(CommandError, match="CSV: field larger than field limit"):
        run(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "Cannot read"),
        (["invites.txt"], "Cannot tell the format"),
        (["invites.jsonl", "--batch-size", "0"], "--batch-size"),
        (["invites.jsonl", "--batch-size", "10001"], "between 1 and 10000"),
    ],
)
def test_unusable_invocations_stop_with_a_message(with_external_ids, tmp_path, args, message):
    (tmp_path / "invites.txt").write_text("")
    with pytest.raises(CommandError, match=message):
        call_command("import_invites", str(tmp_path / args[0]), *args[1:], "--enterprise", "acme")
    with pytest.raises(CommandError, match="No enterprise"):
        call_command("import_invites", "x.jsonl", "--enterprise", "nowhere")


# --- Geocoding -----------------------------------------------------------------------------------


def test_each_distinct_address_is_geocoded_once(with_external_ids, tmp_path, nominatim):
    nominatim.answer(51.05, 3.72)
    ghent = with_location(geolocation=None)
    brussels = with_location(geolocation=None, postalCode="1000", translations={"city": [{"language": "en", "value": "Brussels"}]})
    # Same address, languages listed in another order: still one address.
    ghent_again = with_location(geolocation=None, translations={"city": list(reversed(ghent["translations"]["city"]))})
    rows = [body(meetingType="ON_LOCATION", location=location) for location in (ghent, brussels, ghent_again, brussels)]

    result = run(jsonl(tmp_path, *rows), "--batch-size", "3")

    assert not result.failed
    assert len(nominatim.requests) == 2
    located = Location.objects.exclude(pk=with_external_ids.office.location_id)
    assert list(located.values_list("latitude", flat=True)) == [51.05] * 4


def test_addresses_that_cannot_be_geocoded_fail_their_rows_only(with_external_ids, tmp_path, nominatim):
    nominatim.results = []  # nothing found
    unknown = body(meetingType="ON_LOCATION", location=with_location(geolocation=None))

    _, rows = report(tmp_path, jsonl(tmp_path, unknown, body(), unknown))

    assert [row[:2] for row in rows[1:]] == [["1", "LOCATION_GEOCODING_FAILED"], ["3", "LOCATION_GEOCODING_FAILED"]]
    assert len(nominatim.requests) == 1
    assert Appointment.objects.count() == 1


def test_a_geocoder_that_is_down_fails_the_rows_that_need_it(with_external_ids, tmp_path, nominatim):
    nominatim.status = 500
    needs_geocoding = body(meetingType="ON_LOCATION", location=with_location(geolocation=None))

    _, rows = report(tmp_path, jsonl(tmp_path, needs_geocoding, body()))

    assert [row[:2] for row in rows[1:]] == [["1", "GEOCODING_UNAVAILABLE"]]
    assert Appointment.objects.count() == 1


# --- Dry run, --atomic, writes -------------------------------------------------------------------


def test_a_dry_run_checks_everything_and_writes_nothing(with_external_ids, tmp_path):
    path = jsonl(tmp_path, body(externalId="a", meetingType="ON_LOCATION", location=with_location()), body(subjectId="external://nope"))
    locations = Location.objects.count()

    result, rows = report(tmp_path, path, "--dry-run")

    assert result.failed
    assert "1 would be created (dry run), 0 skipped, 1 failed" in result.stdout
    assert [row[:2] for row in rows[1:]] == [["2", "SUBJECT_NOT_FOUND"]]
    assert (Appointment.objects.count(), Location.objects.count()) == (0, locations)


def test_atomic_rolls_back_every_row_when_one_fails(with_external_ids, tmp_path):
    good = [body(externalId=f"ok-{i}", meetingType="ON_LOCATION", location=with_location()) for i in range(5)]
    locations = Location.objects.count()

    result, rows = report(tmp_path, jsonl(tmp_path, *good, body(subjectId="external://nope")), "--atomic", "--batch-size", "2")

    assert result.failed
    assert "0 created (5 valid rows rolled back" in result.stdout
    assert [row[:2] for row in rows[1:]] == [["6", "SUBJECT_NOT_FOUND"]]
    assert (Appointment.objects.count(), Location.objects.count()) == (0, locations)


def test_atomic_writes_everything_when_every_row_is_good(with_external_ids, tmp_path):
    result = run(jsonl(tmp_path, *(body(externalId=f"ok-{i}") for i in range(5))), "--atomic", "--batch-size", "2")

    assert not result.failed
    assert Appointment.objects.count() == 5


def test_an_inactive_employee_is_not_found_by_id_or_external_id(with_external_ids, tmp_path):
    employee = with_external_ids.employees[0]
    employee.is_active = False
    employee.save()
    by_id = body(appointmentParticipants=[
        {"role": "PRIMARY", "participantId": str(employee.pk), "type": "EMPLOYEE"},
        {"role": "PRIMARY", "participantId": "external://acme-customer-0", "type": "CUSTOMER"},
    ])
    result, rows = report(tmp_path, jsonl(tmp_path, by_id, body()))

    assert result.failed
    assert [row[:2] for row in rows[1:]] == [["1", "PARTICIPANT_NOT_FOUND"], ["2", "PARTICIPANT_NOT_FOUND"]]
    assert not Appointment.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
@pytest.mark.django_db(transaction=True)
def test_an_atomic_import_the_database_refuses_writes_nothing_and_says_so(tmp_path, nominatim):
    """With --atomic the references are checked when the whole import commits: a customer deleted
    elsewhere while an address is geocoded makes it refuse, and the operator is told."""
    from tests.support import EnterpriseWithEverything

    acme = EnterpriseWithEverything("acme")
    doomed = CustomerFactory(enterprise=acme.enterprise)

    nominatim.answer(51.05, 3.72)
    nominatim.on_request = lambda: on_another_connection(Customer.objects.filter(pk=doomed.pk).delete)
    rows = [
        {**acme.invite_body(), "appointmentParticipants": [
            {"role": "PRIMARY", "participantId": str(doomed.pk), "type": "CUSTOMER"},
            {"role": "PRIMARY", "participantId": str(acme.employees[0].pk), "type": "EMPLOYEE"},
        ]},
        {**acme.invite_body(), "meetingType": "ON_LOCATION", "location": with_location(geolocation=None)},
    ]

    with pytest.raises(CommandError, match="nothing was written"):
        run(jsonl(tmp_path, *rows), "--atomic")
    assert not Appointment.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_refuses_fails_alone(tmp_path):
    """The batch's write fails (a customer is deleted elsewhere while the batch is checked): the
    importer retries row by row, and only the row that references the vanished customer fails."""
    from appointments.imports import InviteImport, read_jsonl
    from appointments.services import Actor
    from tests.support import EnterpriseWithEverything

    acme = EnterpriseWithEverything("acme")
    doomed = CustomerFactory(enterprise=acme.enterprise)

    def geocoder_that_deletes_a_customer(address):
        on_another_connection(Customer.objects.filter(pk=doomed.pk).delete)
        return 51.05, 3.72

    rows = [
        {**acme.invite_body(), "externalId": "a"},
        {**acme.invite_body(), "externalId": "b", "appointmentParticipants": [
            {"role": "PRIMARY", "participantId": str(doomed.pk), "type": "CUSTOMER"},
            {"role": "PRIMARY", "participantId": str(acme.employees[0].pk), "type": "EMPLOYEE"},
        ]},
        {**acme.invite_body(), "externalId": "c", "meetingType": "ON_LOCATION", "location": with_location(geolocation=None)},
    ]
    errors = []
    summary = InviteImport(
        enterprise=acme.enterprise,
        actor=Actor(type="SYSTEM", id=None, channel="IMPORT"),
        geocoder=geocoder_that_deletes_a_customer,
        on_error=errors.append,
    ).run(read_jsonl(io.StringIO("".join(json.dumps(row) + "\n" for row in rows))))

    assert [(error.line, error.code) for error in errors] == [(2, "PARTICIPANT_NOT_FOUND")]
    assert (summary.created, summary.failed) == (2, 1)
    assert sorted(Appointment.objects.values_list("external_id", flat=True)) == ["a", "c"]
    assert Appointment.objects.get(external_id="c").location.latitude == 51.05


# --- Scale ---------------------------------------------------------------------------------------


def test_a_large_generated_file_is_imported_in_batches_with_few_queries(with_external_ids, tmp_path):
    employees = EmployeeFactory.create_batch(20, enterprise=with_external_ids.enterprise)
    customers = CustomerFactory.create_batch(50, enterprise=with_external_ids.enterprise)
    subjects = [with_external_ids.subject, SubjectFactory(enterprise=with_external_ids.enterprise, external_id="acme-subject-2")]
    path = tmp_path / "large.jsonl"
    with path.open("w") as file:
        for i in range(2000):
            file.write(json.dumps(body(
                externalId=f"gen-{i}",
                subjectId="external://acme-subject-2" if i % 2 else str(subjects[0].pk),
                appointmentParticipants=[
                    {"role": "PRIMARY", "type": "EMPLOYEE", "participantId": str(employees[i % 20].pk)},
                    {"role": "PRIMARY", "type": "CUSTOMER", "participantId": str(customers[i % 50].pk)},
                ],
                meetingType="VIDEO" if i % 3 else "ON_LOCATION",
                location=None if i % 3 else with_location(geolocation={"latitude": 50 + i / 10_000, "longitude": 4.0}),
            )) + "\n")

    with CaptureQueriesContext(connection) as queries:
        result = run(path, "--batch-size", "500")

    assert "2000 created, 0 skipped, 0 failed" in result.stdout
    # Per batch of 500: existing externalIds, one query per referenced model, the lock and the
    # re-check; INSERTs by the hundred rows (SQLite caps a statement at 999 parameters).
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert statements.count("SELECT") <= 1 + 4 * 8
    assert statements.count("INSERT") < 2000 / 10
    assert Appointment.objects.filter(external_id__startswith="gen-").count() == 2000
    assert AppointmentParticipant.objects.filter(appointment__external_id__startswith="gen-").count() == 4000
    video = Appointment.objects.filter(meeting_type="VIDEO").first().participants.first()
    assert video.video_url and video.video_test_url


def test_progress_lines_without_a_terminal(with_external_ids, tmp_path, monkeypatch):
    from appointments.management.commands.import_invites import Command

    monkeypatch.setattr(Command, "progress_interval", 0)
    result = run(jsonl(tmp_path, *(body(externalId=str(i)) for i in range(3))), "--batch-size", "1")

    assert result.stderr.count("rows:") == 3
    assert "… 2 rows: 2 created" in result.stderr
    assert "3 rows: 3 created, 0 skipped, 0 failed in" in result.stdout and "rows/s" in result.stdout


def test_an_outage_is_not_remembered_for_the_rest_of_the_run(db):
    """A "no such place" answer is final for the run; an outage is not: the same address is asked
    again by a later row."""
    from appointments.imports import GeocodeOnce
    from locations.geocoding import Address, GeocodingFailed, GeocodingUnavailable

    answers = [GeocodingUnavailable(), (51.05, 3.72), GeocodingFailed()]

    def provider(address):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    once = GeocodeOnce(provider)
    ghent, nowhere = Address(country_code="BE", city={"en": "Ghent"}), Address(country_code="BE", city={"en": "Nowhere"})
    with pytest.raises(GeocodingUnavailable):
        once(ghent)
    assert once(ghent) == (51.05, 3.72) == once(ghent)
    for _ in range(2):
        with pytest.raises(GeocodingFailed):
            once(nowhere)
    assert answers == []


def test_references_are_looked_up_in_chunks(with_external_ids, monkeypatch):
    """Each chunk of references is one query's parameters; every row is found whichever chunk
    it falls in, by id or by external id."""
    from appointments import selectors
    from participants.models import Customer

    monkeypatch.setattr(selectors, "MAX_VALUES_PER_QUERY", 2)
    customers = Customer.objects.filter(enterprise=with_external_ids.enterprise)[:3]
    for index, customer in enumerate(customers):
        customer.external_id = f"crm-{index}"
        customer.save()
    values = {str(c.pk) for c in customers} | {f"external://crm-{i}" for i in range(3)} | {"999999", "external://nope"}
    found = selectors.referenced_rows(enterprise=with_external_ids.enterprise, wanted={Customer: values}, external_ids=True)
    assert set(found[Customer]) == values - {"999999", "external://nope"}
