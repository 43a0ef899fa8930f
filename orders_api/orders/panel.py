"""The sales panel: orders_api's admin home (settings.BACK_OFFICE_SITE), for whoever may
see orders (``orders.view_order``); others get the usual list of models.

The figures are orders.selectors' (``sales_panel``); the charts are drawn here as SVG
(orders.charts). Revenue is that of the orders finished in the period (by when they
were finished); the top products are ranked by the quantity sold.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext

from common.admin.site import PanelSite
from common.localization.formats import brl
from orders import charts, selectors
from orders.models import Order


class SalesPanelSite(PanelSite):
    panel_permission = "orders.view_order"
    panel_template = "admin/orders/sales_panel.html"

    def panel(self, request: HttpRequest) -> dict[str, Any]:
        panel = selectors.sales_panel(now=timezone.now())
        return {
            "sales": panel,
            "periods": [(gettext("Today"), panel.today), (gettext("This month"), panel.month)],
            "panel_days": selectors.PANEL_DAYS,
            "revenue_chart": charts.columns(
                [
                    charts.Column(
                        value=revenue,
                        # A date every five days, counted back from today's.
                        axis_label=date_format(day, "j b")
                        if (len(panel.revenue_by_day) - 1 - index) % 5 == 0
                        else "",
                        title=f"{date_format(day, 'SHORT_DATE_FORMAT')}: {brl(revenue)}",
                    )
                    for index, (day, revenue) in enumerate(panel.revenue_by_day)
                ],
                label=gettext("Revenue per day"),
                axis_prefix="R$",
            ),
            "status_chart": charts.bars(
                [
                    charts.Bar(
                        value=count,
                        label=Order.Status(status).label,
                        # The heading says what is counted ("0 pedido" would read oddly).
                        value_text=number_format(count, force_grouping=True),
                        css_class=f"status-{status}",
                    )
                    for status, count in panel.by_status
                ],
                label=gettext("Orders by status"),
            ),
            "products_chart": charts.bars(
                [
                    charts.Bar(
                        value=product.quantity,
                        label=f"{product.sku} — {product.name}",
                        value_text=ngettext(
                            "%(count)s unit · %(revenue)s",
                            "%(count)s units · %(revenue)s",
                            product.quantity,
                        )
                        % {"count": product.quantity, "revenue": brl(product.revenue)},
                    )
                    for product in panel.top_products
                ],
                label=gettext("Top products by quantity sold"),
            ),
        }
