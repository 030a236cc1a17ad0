from django.urls import URLPattern, URLResolver, path

from accord.contracts import views

app_name = "contracts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("service-contracts/", views.contract_list, name="contract_list"),
    path("service-contracts/new/", views.contract_create, name="contract_create"),
    path("service-contracts/coverage/", views.coverage_check, name="coverage_check"),
    path("service-contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("service-contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("service-contracts/<int:pk>/activate/", views.contract_activate, name="contract_activate"),
    path("service-contracts/<int:pk>/cancel/", views.contract_cancel, name="contract_cancel"),
    path("service-contracts/<int:pk>/renew/", views.contract_renew, name="contract_renew"),
    path("service-contracts/<int:pk>/use/", views.consumption_add, name="consumption_add"),
    path(
        "service-contracts/<int:pk>/use/<int:consumption_pk>/remove/",
        views.consumption_remove,
        name="consumption_remove",
    ),
    path("service-contracts/<int:pk>/history/", views.contract_history, name="contract_history"),
    path("installed-units/", views.asset_list, name="asset_list"),
    path("installed-units/new/", views.asset_create, name="asset_create"),
    path("installed-units/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("installed-units/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path(
        "service-contracts/cases/<int:case_pk>/coverage/", views.case_coverage, name="case_coverage"
    ),
    path(
        "service-contracts/companies/<int:company_pk>/",
        views.company_panel,
        name="company_panel",
    ),
]
