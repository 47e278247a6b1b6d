import datetime

import factory
from django.contrib.auth import get_user_model

from members import services
from members.models import Member, Organisation, Role

PASSWORD = "test-password-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.vn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    """Created through the service, so paths are set exactly as in the application."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Tổ chức {n}")
    kind = Organisation.Kind.GRASSROOTS
    parent = None
    place_name = "Đà Lạt"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.organisation_create(actor=None, **kwargs)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thành {n}")
    gender = Member.Gender.MALE
    date_of_birth = datetime.date(1985, 5, 17)
    card_number = factory.Sequence(lambda n: f"{79000000 + n}")
    admitted_on = datetime.date(2010, 3, 3)
    full_member_on = datetime.date(2011, 3, 3)
    workplace_org = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.CELL)
    residence_address = "12 Trần Phú"
    residence_commune = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.member_create(actor=None, **kwargs)


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    kind = Role.Kind.SECRETARY
