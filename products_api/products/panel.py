"""The stock panel: products_api's admin home (settings.BACK_OFFICE_SITE), for whoever may
see products (``products.view_product``); others get the usual list of models. Its
figures are products.selectors' (``stock_panel``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from common.admin.site import PanelSite
from products import selectors


class StockPanelSite(PanelSite):
    panel_permission = "products.view_product"
    panel_template = "admin/products/stock_panel.html"

    def panel(self, request: HttpRequest) -> dict[str, Any]:
        return {"stock": selectors.stock_panel()}
