import pytest
from django.core.exceptions import ValidationError

from accord.core import customfields
from accord.core.models import CustomFieldDefinition
from accord.core.testing import user_with_role
from accord.parties import services
from accord.parties.models import Company
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields():
    CustomFieldDefinition.objects.create(
        model="company",
        name="stage",
        label="Design stage",
        field_type="choice",
        choices=["P", "RD"],
    )
    CustomFieldDefinition.objects.create(
        model="company", name="budget", label="Budget", field_type="number"
    )
    CustomFieldDefinition.objects.create(
        model="company", name="tender", label="Tender", field_type="boolean"
    )
    CustomFieldDefinition.objects.create(
        model="company",
        name="areas",
        label="Areas",
        field_type="multichoice",
        choices=["HVAC", "Power"],
    )


def test_values_are_validated_and_stored(fields):
    manager = user_with_role("sales_manager")

    company = services.company_create(
        actor=manager,
        fields={"name": "Ural"},
        custom={"stage": "RD", "budget": "12.5", "tender": True, "areas": ["HVAC"]},
    )

    assert company.custom == {"stage": "RD", "budget": 12.5, "tender": True, "areas": ["HVAC"]}


def test_invalid_values_name_the_custom_field(fields):
    manager = user_with_role("sales_manager")

    with pytest.raises(ValidationError) as info:
        services.company_create(
            actor=manager,
            fields={"name": "X"},
            custom={"stage": "nope", "budget": "abc", "colour": "red"},
        )

    assert set(info.value.message_dict) == {"custom.stage", "custom.budget", "custom.colour"}
    assert Company.objects.count() == 0


def test_filtering_by_custom_fields(fields):
    manager = user_with_role("sales_manager")
    a = make_company(owner=manager, name="A")
    services.company_update(
        actor=manager,
        company=a,
        fields={},
        custom={"stage": "P", "areas": ["HVAC", "Power"], "budget": 7},
    )
    b = make_company(owner=manager, name="B")
    services.company_update(
        actor=manager, company=b, fields={}, custom={"stage": "RD", "areas": ["Power"]}
    )
    qs = Company.objects.all()

    assert list(customfields.filter_queryset(qs, "company", {"cf_stage": "P"})) == [a]
    assert list(customfields.filter_queryset(qs, "company", {"cf_areas": "HVAC"})) == [a]
    assert list(customfields.filter_queryset(qs, "company", {"cf_budget": "7"})) == [a]


def test_json_schema_comes_from_definitions(fields):
    schema = customfields.json_schema("company")

    assert schema["properties"]["stage"] == {
        "type": "string",
        "enum": ["P", "RD"],
        "title": "Design stage",
    }
    assert schema["properties"]["areas"]["type"] == "array"
