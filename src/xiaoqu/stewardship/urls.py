from django.urls import URLPattern, path  # noqa: F401 (the parts add their paths)

from xiaoqu.stewardship.views import access as access_views
from xiaoqu.stewardship.views import bodies, orders
from xiaoqu.stewardship.views import duty as duty_views
from xiaoqu.stewardship.views import evaluation as evaluation_views
from xiaoqu.stewardship.views import fund as fund_views

app_name = "stewardship"
urlpatterns: list[URLPattern] = []

# --- management bodies and the five parties (views/bodies.py) ---
urlpatterns += [
    path("estates/<int:estate_id>/management/", bodies.estate_management, name="estate_management"),
    path(
        "estates/<int:estate_id>/manager/",
        bodies.estate_manager_public,
        name="estate_manager_public",
    ),
    path("estates/<int:estate_id>/management/body/", bodies.body_start, name="body_start"),
    path("estates/<int:estate_id>/management/body/end/", bodies.body_end, name="body_end"),
    path("estates/<int:estate_id>/management/members/", bodies.member_add, name="member_add"),
    path(
        "estates/<int:estate_id>/management/members/remove/",
        bodies.member_remove,
        name="member_remove",
    ),
    path("estates/<int:estate_id>/management/documents/", bodies.document_add, name="document_add"),
    path("estates/<int:estate_id>/management/seats/", bodies.seat_add, name="seat_add"),
    path(
        "estates/<int:estate_id>/management/seats/remove/", bodies.seat_remove, name="seat_remove"
    ),
]

# --- the maintenance fund (views/fund.py) ---
urlpatterns += [
    path("estates/<int:estate_id>/fund/", fund_views.estate_fund, name="estate_fund"),
    path("estates/<int:estate_id>/fund/deposits/", fund_views.fund_deposits, name="fund_deposits"),
    path("estates/<int:estate_id>/fund/interest/", fund_views.fund_interest, name="fund_interest"),
    path("estates/<int:estate_id>/fund/withdraw/", fund_views.fund_withdraw, name="fund_withdraw"),
    path(
        "estates/<int:estate_id>/fund/emergency/",
        fund_views.fund_emergency_apply,
        name="fund_emergency_apply",
    ),
    path(
        "fund/withdrawals/<int:withdrawal_id>/approve/",
        fund_views.fund_emergency_approve,
        name="fund_emergency_approve",
    ),
    path(
        "fund/withdrawals/<int:withdrawal_id>/publish/",
        fund_views.fund_withdrawal_publish,
        name="fund_withdrawal_publish",
    ),
    path(
        "estates/<int:estate_id>/fund/statement/", fund_views.fund_statement, name="fund_statement"
    ),
    path(
        "estates/<int:estate_id>/fund/statement/print/",
        fund_views.fund_statement_print,
        name="fund_statement_print",
    ),
]

# --- work orders (views/orders.py) ---
urlpatterns += [
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/mine/", orders.my_orders, name="my_orders"),
    path("orders/mine/<int:order_id>/", orders.my_order, name="my_order"),
    path("orders/mine/<int:order_id>/confirm/", orders.my_order_confirm, name="my_order_confirm"),
    path("orders/mine/<int:order_id>/reopen/", orders.my_order_reopen, name="my_order_reopen"),
    path("orders/mine/<int:order_id>/rate/", orders.my_order_rate, name="my_order_rate"),
    path(
        "orders/<int:order_id>/photos/<int:order_photo_id>/",
        orders.order_photo,
        name="order_photo",
    ),
    path("notices/", orders.notices, name="notices"),
    path("notices/read/", orders.notices_read, name="notices_read"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/record/", orders.order_record, name="order_record"),
    path("orders/<int:order_id>/", orders.order_detail, name="order_detail"),
    path("orders/<int:order_id>/accept/", orders.order_accept, name="order_accept"),
    path("orders/<int:order_id>/dispatch/", orders.order_dispatch, name="order_dispatch"),
    path("orders/<int:order_id>/start/", orders.order_start, name="order_start"),
    path("orders/<int:order_id>/resolve/", orders.order_resolve, name="order_resolve"),
    path("orders/<int:order_id>/confirm/", orders.order_confirm, name="order_confirm"),
    path("orders/<int:order_id>/reject/", orders.order_reject, name="order_reject"),
    path("orders/<int:order_id>/merge/", orders.order_merge, name="order_merge"),
]

# --- the monthly evaluation and reports (views/evaluation.py) ---
urlpatterns += [
    path(
        "estates/<int:estate_id>/evaluation/",
        evaluation_views.evaluation_form,
        name="evaluation_form",
    ),
    path(
        "estates/<int:estate_id>/reports/",
        evaluation_views.estate_reports,
        name="estate_reports",
    ),
    path(
        "estates/<int:estate_id>/reports/compute/",
        evaluation_views.report_compute,
        name="report_compute",
    ),
    path("reports/<int:report_id>/", evaluation_views.report_detail, name="report_detail"),
    path(
        "reports/<int:report_id>/publish/",
        evaluation_views.report_publish,
        name="report_publish",
    ),
    path("rankings/", evaluation_views.street_ranking, name="street_ranking"),
]

# --- the duty roster (views/duty.py) ---
urlpatterns += [
    path("estates/<int:estate_id>/duty/", duty_views.duty_roster, name="duty_roster"),
    path("estates/<int:estate_id>/duty/shifts/", duty_views.shift_add, name="shift_add"),
    path(
        "estates/<int:estate_id>/duty/shifts/remove/",
        duty_views.shift_remove,
        name="shift_remove",
    ),
    path("duty/shifts/<int:shift_id>/handover/", duty_views.handover_write, name="handover_write"),
    path("duty/mine/", duty_views.my_duty, name="my_duty"),
]

# --- access control (views/access.py; devices post to /api/v1/access/events) ---
urlpatterns += [
    path("estates/<int:estate_id>/access/", access_views.estate_access, name="estate_access"),
    path("estates/<int:estate_id>/access/points/", access_views.point_add, name="access_point_add"),
    path(
        "estates/<int:estate_id>/access/devices/",
        access_views.device_add,
        name="access_device_add",
    ),
    path(
        "estates/<int:estate_id>/access/devices/revoke/",
        access_views.device_revoke,
        name="access_device_revoke",
    ),
    path(
        "estates/<int:estate_id>/access/credentials/",
        access_views.credential_issue,
        name="credential_issue",
    ),
    path(
        "estates/<int:estate_id>/access/credentials/revoke/",
        access_views.credential_revoke,
        name="credential_revoke",
    ),
    path(
        "estates/<int:estate_id>/access/credentials/sweep/",
        access_views.credentials_sweep,
        name="credentials_sweep",
    ),
    path(
        "estates/<int:estate_id>/access/events/", access_views.access_events, name="access_events"
    ),
    path(
        "estates/<int:estate_id>/access/anomalies/",
        access_views.access_anomalies,
        name="access_anomalies",
    ),
    path(
        "estates/<int:estate_id>/access/anomalies/resolve/",
        access_views.anomaly_resolve,
        name="anomaly_resolve",
    ),
    path("access/mine/", access_views.my_access, name="my_access"),
]
