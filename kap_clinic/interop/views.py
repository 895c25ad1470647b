"""The FHIR R4 API under /fhir/: read, search with paging, the CapabilityStatement.

Session or token authentication (DRF, as the rest of the API); access as on the pages (the
sources' ``rows(user)``); front desk sees no clinical resource; anything not visible is a 404.
Every answer is ``application/fhir+json``; every error an OperationOutcome; every read audited.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kap_clinic.accounts.models import User
from kap_clinic.accounts.roles import Role
from kap_clinic.audit.models import AuditAction
from kap_clinic.audit.services import audit_record
from kap_clinic.interop.registry import FhirSource, fhir_resource_types, fhir_sources
from kap_clinic.interop.search import SearchError

FHIR_JSON = "application/fhir+json"
# Page size of a search when the client gives no _count, and the most it may ask for.
PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAXIMUM = 200
# Parameters every search understands besides the sources' own.
_RESULT_PARAMETERS = {"_count", "_offset", "_format"}


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"


class _AlwaysFhirJSON(BaseContentNegotiation):
    """FHIR clients ask for application/fhir+json or application/json: both get FHIR JSON."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def operation_outcome(status: int, code: str, diagnostics: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }


def outcome_response(status: int, code: str, diagnostics: str) -> JsonResponse:
    """An OperationOutcome outside DRF (unknown /fhir/ paths)."""
    return JsonResponse(
        operation_outcome(status, code, diagnostics), status=status, content_type=FHIR_JSON
    )


class _FhirError(Exception):
    def __init__(self, status: int, code: str, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics


def may_see_clinical(user: User) -> bool:
    """Patients see their own clinical record; staff need the clinical permission."""
    return user.role == Role.PATIENT or bool(user.has_perm("intake.view_clinical_record"))


def sources_for(user: User, resource_type: str) -> list[FhirSource]:
    sources = fhir_sources(resource_type)
    if not sources:
        raise _FhirError(404, "not-supported", f"{resource_type} is not a supported resource.")
    if not may_see_clinical(user):
        sources = [source for source in sources if not source.clinical]
    return sources


class FhirView(APIView):
    # FHIR publishes its own CapabilityStatement; the OpenAPI schema of /api/ leaves these out.
    schema = None
    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = _AlwaysFhirJSON

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _FhirError):
            return Response(operation_outcome(exc.status, exc.code, exc.diagnostics), exc.status)
        if isinstance(exc, SearchError):
            return Response(operation_outcome(400, "invalid", str(exc)), 400)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = Response(operation_outcome(401, "login", "Sign in or send a token."), 401)
            response["WWW-Authenticate"] = "Token"
            return response
        if isinstance(exc, exceptions.MethodNotAllowed):
            return Response(operation_outcome(405, "not-supported", "This API is read-only."), 405)
        if isinstance(exc, exceptions.APIException):
            return Response(
                operation_outcome(exc.status_code, "processing", str(exc.detail)), exc.status_code
            )
        raise exc

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Type"] = FHIR_JSON
        return response


def _base_url(request: Request) -> str:
    return request.build_absolute_uri("/fhir/").rstrip("/")


class FhirReadApi(FhirView):
    def get(self, request: Request, resource_type: str, fhir_id: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        for source in sources_for(user, resource_type):
            row = source.by_id(source.rows(user), fhir_id).first()
            if row is not None:
                audit_record(
                    action=AuditAction.READ,
                    request=request,
                    object_type=f"fhir.{resource_type}",
                    object_id=fhir_id,
                    detail="FHIR read",
                )
                return Response(source.to_resource(row))
        raise _FhirError(404, "not-found", f"{resource_type}/{fhir_id} is not known.")


class FhirEverythingApi(FhirView):
    """``Patient/<id>/$everything``: the patient's whole record as one Bundle (not paged)."""

    def get(self, request: Request, fhir_id: str) -> Response:
        from kap_clinic.interop.everything import patient_bundle

        user: User = request.user  # type: ignore[assignment]
        bundle = patient_bundle(user=user, patient_id=fhir_id, base=_base_url(request))
        if bundle is None:
            raise _FhirError(404, "not-found", f"Patient/{fhir_id} is not known.")
        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type="fhir.Patient",
            object_id=fhir_id,
            detail=f"FHIR $everything, {len(bundle['entry'])} resources",
        )
        bundle["type"] = "searchset"
        bundle["total"] = len(bundle["entry"])
        return Response(bundle)


class FhirSearchApi(FhirView):
    def get(self, request: Request, resource_type: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        sources = sources_for(user, resource_type)
        known = set().union(*(source.search for source in fhir_sources(resource_type)))
        params = request.query_params
        unknown = sorted(set(params) - known - _RESULT_PARAMETERS)
        if unknown:
            raise SearchError(f"Unknown search parameter: {', '.join(unknown)}.")
        count = _whole(params.get("_count"), PAGE_SIZE_DEFAULT, "_count")
        count = min(count, PAGE_SIZE_MAXIMUM)
        offset = _whole(params.get("_offset"), 0, "_offset")

        querysets = []
        for source in sources:
            rows = source.rows(user)
            for name in params:
                if name in _RESULT_PARAMETERS:
                    continue
                search = source.search.get(name)
                for value in params.getlist(name):
                    rows = search(rows, value) if search else rows.none()
            querysets.append((source, rows))

        totals = [rows.count() for _, rows in querysets]
        total = sum(totals)
        entries: list[dict[str, Any]] = []
        skip, wanted = offset, count
        base = _base_url(request)
        for (source, rows), size in zip(querysets, totals, strict=True):
            if wanted <= 0:
                break
            if skip >= size:
                skip -= size
                continue
            for row in rows[skip : skip + wanted]:
                resource = source.to_resource(row)
                entries.append(
                    {
                        "fullUrl": f"{base}/{resource_type}/{resource['id']}",
                        "resource": resource,
                        "search": {"mode": "match"},
                    }
                )
            wanted = count - len(entries)
            skip = 0

        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type=f"fhir.{resource_type}",
            detail=f"FHIR search, {len(entries)} of {total}",
        )
        links = [{"relation": "self", "url": _page_url(request, resource_type, offset, count)}]
        if count and offset + count < total:  # _count=0 asks for the total only
            links.append(
                {
                    "relation": "next",
                    "url": _page_url(request, resource_type, offset + count, count),
                }
            )
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": timezone.now().isoformat(),
            "total": total,
            "link": links,
        }
        if entries:  # FHIR JSON has no empty arrays
            bundle["entry"] = entries
        return Response(bundle)


def _whole(value: str | None, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise SearchError(f"{name} must be a whole number.")
    return int(value)


def _page_url(request: Request, resource_type: str, offset: int, count: int) -> str:
    pairs = [
        (name, value)
        for name in request.query_params
        if name not in ("_count", "_offset")
        for value in request.query_params.getlist(name)
    ]
    pairs += [("_count", str(count)), ("_offset", str(offset))]
    return f"{_base_url(request)}/{resource_type}?{urlencode(pairs)}"


class FhirMetadataApi(FhirView):
    """The CapabilityStatement: open to any caller, as FHIR servers publish theirs."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        return Response(capability_statement(_base_url(request)))


def capability_statement(base: str) -> dict[str, Any]:
    resources = []
    for resource_type in fhir_resource_types():
        sources = fhir_sources(resource_type)
        profiles = sorted({p for source in sources for p in source.profiles})
        searches = sorted({name for source in sources for name in source.search})
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": name, "type": _search_type(name)} for name in searches],
        }
        if profiles:
            entry["supportedProfile"] = profiles
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "kind": "instance",
        "software": {"name": "KAP clinic platform"},
        "implementation": {"description": "KAP clinic FHIR API", "url": base},
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON, "json"],
        "instantiates": ["http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "description": "Session sign-in or an API token (Authorization: Token ...).",
                },
                "resource": resources,
            }
        ],
    }


def _search_type(name: str) -> str:
    if name in ("patient", "subject", "encounter", "location", "practitioner", "actor"):
        return "reference"
    if name in ("date", "period", "authored", "birthdate", "recorded"):
        return "date"
    if name in ("name", "family", "given", "address"):
        return "string"
    return "token"


def fhir_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return outcome_response(404, "not-found", "There is nothing at this FHIR address.")
