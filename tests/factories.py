import factory
from django.conf import settings

from appointments.models import CallbackRequest, LeadSegment, Listing, Office, Subject
from locations.models import Location
from participants.models import ApiClient, Customer, Employee, Enterprise


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"enterprise-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    default_language = "en"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    country_code = "BE"
    postal_code = "9000"
    city_en = "Ghent"
    city_nl = "Gent"
    street1_en = "Korenmarkt 1"
    latitude = 51.0543
    longitude = 3.7214
    time_zone = "Europe/Brussels"


class EnterpriseOwnedFactory(factory.django.DjangoModelFactory):
    enterprise = factory.SubFactory(EnterpriseFactory)


class SubjectFactory(EnterpriseOwnedFactory):
    class Meta:
        model = Subject

    name_en = factory.Sequence(lambda n: f"Subject {n}")
    name = factory.SelfAttribute("name_en")


class OfficeFactory(EnterpriseOwnedFactory):
    class Meta:
        model = Office

    name = factory.Sequence(lambda n: f"Office {n}")
    location = factory.SubFactory(LocationFactory)


class EmployeeFactory(EnterpriseOwnedFactory):
    class Meta:
        model = Employee

    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Employee{n}")


class CustomerFactory(EnterpriseOwnedFactory):
    class Meta:
        model = Customer

    first_name = "Daan"
    last_name = factory.Sequence(lambda n: f"Customer{n}")


class ListingFactory(EnterpriseOwnedFactory):
    class Meta:
        model = Listing

    title = factory.Sequence(lambda n: f"Listing {n}")


class LeadSegmentFactory(EnterpriseOwnedFactory):
    class Meta:
        model = LeadSegment

    code = factory.Sequence(lambda n: f"SEGMENT_{n}")
    name = "Segment"


class CallbackRequestFactory(EnterpriseOwnedFactory):
    class Meta:
        model = CallbackRequest

    phone = "+32 9 000 00 00"


class ApiClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiClient

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = "Test client"
    client_id = factory.Sequence(lambda n: f"client-{n}")
    client_secret = "test-secret"
    client_type = ApiClient.CLIENT_CONFIDENTIAL
    authorization_grant_type = ApiClient.GRANT_CLIENT_CREDENTIALS
    allowed_scopes = settings.SCOPE_READ_WRITE
