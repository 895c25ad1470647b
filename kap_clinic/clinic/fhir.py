"""FHIR mapping of the clinic itself: Practitioner (clinicians) and Organization (US Core)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import CLINICIAN_ROLES
from kap_clinic.clinic.models import Organisation
from kap_clinic.interop.registry import FhirSource, Resource, by_uuid, fhir_source_register

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
EIN_SYSTEM = "urn:oid:2.16.840.1.113883.4.4"
PRACTITIONER_PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner"
ORGANIZATION_PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization"
ORGANIZATION_ID = "clinic"


def _human_name(full_name: str) -> dict[str, Any]:
    words = full_name.split()
    name: dict[str, Any] = {"text": full_name}
    if words:
        name["family"] = words[-1]
        if len(words) > 1:
            name["given"] = words[:-1]
    return name


def practitioner_resource(user: User) -> Resource:
    profile = getattr(user, "staff_profile", None)
    npi = profile.npi if profile is not None else ""
    # US Core requires an identifier: the NPI when recorded, else the platform's own id.
    identifier = (
        {"system": NPI_SYSTEM, "value": npi}
        if npi
        else {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{user.uuid}"}
    )
    return {
        "resourceType": "Practitioner",
        "id": str(user.uuid),
        "meta": {"profile": [PRACTITIONER_PROFILE]},
        "identifier": [identifier],
        "active": user.is_active,
        "name": [_human_name(user.full_name)],
    }


def _practitioners(user: User) -> QuerySet[User]:
    return (
        User.objects.filter(role__in=CLINICIAN_ROLES)
        .select_related("staff_profile")
        .order_by("full_name", "id")
    )


def _practitioner_name(rows: QuerySet[User], value: str) -> QuerySet[User]:
    return rows.filter(full_name__icontains=value)


def _practitioner_identifier(rows: QuerySet[User], value: str) -> QuerySet[User]:
    return rows.filter(staff_profile__npi=value.rpartition("|")[2])


def organization_resource(organisation: Organisation) -> Resource:
    identifiers = []
    if organisation.group_npi:
        identifiers.append({"system": NPI_SYSTEM, "value": organisation.group_npi})
    if organisation.ein:
        identifiers.append({"system": EIN_SYSTEM, "value": organisation.ein})
    resource: Resource = {
        "resourceType": "Organization",
        "id": ORGANIZATION_ID,
        "meta": {"profile": [ORGANIZATION_PROFILE]},
        "active": True,
        "name": organisation.legal_name,
        "address": [{"text": organisation.address, "country": organisation.country}],
    }
    if identifiers:
        resource["identifier"] = identifiers
    if organisation.phone:
        resource["telecom"] = [{"system": "phone", "value": organisation.phone}]
    return resource


def _organisations(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.all()


def _organisation_by_id(rows: QuerySet[Organisation], fhir_id: str) -> QuerySet[Organisation]:
    return rows if fhir_id == ORGANIZATION_ID else rows.none()


def register() -> None:
    fhir_source_register(
        FhirSource(
            resource_type="Practitioner",
            key="clinician",
            rows=_practitioners,
            to_resource=practitioner_resource,
            by_id=by_uuid(),
            search={"name": _practitioner_name, "identifier": _practitioner_identifier},
            profiles=(PRACTITIONER_PROFILE,),
            clinical=False,
        )
    )
    fhir_source_register(
        FhirSource(
            resource_type="Organization",
            key="clinic",
            rows=_organisations,
            to_resource=organization_resource,
            by_id=_organisation_by_id,
            profiles=(ORGANIZATION_PROFILE,),
            clinical=False,
        )
    )
