"""The REST API root (I3): one NinjaAPI; each app contributes a router from its ``api.py``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from accord.core.api_auth import session_or_token
from accord.core.errors import ConflictError


class AccordAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Add the administrator-defined custom fields to the generated schema (I8)."""
        from accord.core import customfields

        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in customfields.EXTENSIBLE_MODELS:
            name = f"{model.title()}CustomFields"
            components[name] = customfields.json_schema(model)
            for component_name, component in list(components.items()):
                if component_name.startswith(model.title()) and "custom" in component.get(
                    "properties", {}
                ):
                    component["properties"]["custom"] = {"$ref": f"#/components/schemas/{name}"}
        return schema


api = AccordAPI(
    title="Accord API",
    version="1",
    description="Everything on screen is also here. Authenticate with a personal token "
    "(`Authorization: Bearer acc_…`) or a browser session.",
    auth=session_or_token(),
    urls_namespace="api",
)


def _errors_body(exc: ValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {"detail": [{"field": f, "messages": list(m)} for f, m in exc.message_dict.items()]}
    return {"detail": [{"field": "__all__", "messages": exc.messages}]}


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, _errors_body(exc), status=422)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", []) if p not in ("body", "payload", "query")]
        details.append({"field": ".".join(loc) or "__all__", "messages": [error.get("msg", "")]})
    return api.create_response(request, {"detail": details}, status=422)


@api.exception_handler(ConflictError)
def on_conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc), "current_version": exc.current_version}, status=409
    )


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found"}, status=404)


def _mount() -> None:
    from accord.activities.api import router as activities_router
    from accord.core.api import router as core_router
    from accord.parties.api import router as parties_router

    api.add_router("/", core_router)
    api.add_router("/", parties_router)
    api.add_router("/", activities_router)
    from accord.analytics.api import router as analytics_router
    from accord.catalog.api import router as catalog_router
    from accord.commerce.api_orders import router as orders_router
    from accord.commerce.api_quotes import router as quotes_router
    from accord.projects.api import router as projects_router
    from accord.sales.api_deals import router as deals_router
    from accord.sales.api_leads import router as leads_router

    api.add_router("/", catalog_router)
    api.add_router("/", leads_router)
    api.add_router("/", deals_router)
    api.add_router("/", quotes_router)
    api.add_router("/", orders_router)
    api.add_router("/", projects_router)
    api.add_router("/", analytics_router)
    from accord.dataio.api import router as dataio_router

    api.add_router("/", dataio_router)
    from accord.dataio.api_export import router as export_router

    api.add_router("/", export_router)
    from accord.dedup.api_merge import router as merge_router

    api.add_router("/", merge_router)
    from accord.contracts.api import router as contracts_router
    from accord.feedback.api import router as feedback_router
    from accord.fieldservice.api import router as fieldservice_router
    from accord.kb.api import router as kb_router
    from accord.service.api import router as service_router
    from accord.service.api_queues import router as queues_router
    from accord.servicereports.api import router as service_reports_router
    from accord.sla.api import router as sla_router

    api.add_router("/", service_router)
    api.add_router("/", queues_router)
    api.add_router("/", sla_router)
    api.add_router("/", contracts_router)
    api.add_router("/", kb_router)
    api.add_router("/", fieldservice_router)
    api.add_router("/", feedback_router)
    api.add_router("/", service_reports_router)


_mount()
