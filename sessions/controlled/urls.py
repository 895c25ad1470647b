from django.urls import path

from sessions.controlled import views

app_name = "ledger"

urlpatterns = [
    path("", views.ledger_index, name="index"),
    path("receipts/new/", views.receipt_create, name="receipt_create"),
    path("waste/new/", views.waste_create, name="waste_create"),
    path("transfers/new/", views.transfer_create, name="transfer_create"),
    path("disposals/new/", views.disposal_create, name="disposal_create"),
    path("entries/<uuid:entry_uuid>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("safes/<uuid:safe_uuid>/count/", views.count_create, name="count_create"),
    path(
        "discrepancies/<uuid:incident_uuid>/resolve/",
        views.incident_resolve,
        name="incident_resolve",
    ),
    path("lots/<uuid:lot_uuid>/", views.lot_ledger, name="lot_ledger"),
    path("products/<uuid:product_uuid>/ledger/", views.product_ledger, name="product_ledger"),
    path("dispensing-log/", views.dispensing_log, name="dispensing_log"),
    path("set-up/safes/", views.safe_list, name="safe_list"),
    path("set-up/safes/new/", views.safe_create, name="safe_create"),
    path("set-up/safes/<uuid:safe_uuid>/", views.safe_edit, name="safe_edit"),
    path("set-up/products/", views.product_list, name="product_list"),
    path("set-up/products/new/", views.product_create, name="product_create"),
    path("set-up/products/<uuid:product_uuid>/", views.product_edit, name="product_edit"),
    path("set-up/counts/", views.policy_edit, name="policy_edit"),
]
