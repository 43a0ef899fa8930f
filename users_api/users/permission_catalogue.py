"""Every permission code of every service, in one place.

users_api serves this list (``GET /api/v1/permissions/``) and lets roles and
users be granted only these codes; every service's views name their codes from
it, so a typo in a view fails at import time instead of locking users out.
Codes follow Django's ``<app_label>.<action>_<model>`` form.
"""

CATALOGUE: dict[str, str] = {
    "users.view_user": "See users",
    "users.add_user": "Create users",
    "users.change_user": "Edit users and grant them roles and permissions",
    "users.delete_user": "Deactivate users",
    "users.view_role": "See roles",
    "users.add_role": "Create roles",
    "users.change_role": "Edit roles",
    "users.delete_role": "Delete roles",
    "users.view_permission": "See the permission catalogue",
    "clients.view_client": "See clients and their addresses",
    "clients.add_client": "Create clients and add addresses to them",
    "clients.change_client": "Edit clients and their addresses",
    "clients.delete_client": "Deactivate clients and delete addresses",
    "products.view_product": "See products",
    "products.add_product": "Create products",
    "products.change_product": "Edit products",
    "products.delete_product": "Deactivate products",
    "products.view_stockmovement": "See stock movements",
    "products.add_stockmovement": "Move stock in, out or adjust it",
    "orders.view_order": "See orders and the local client and product copies",
    "orders.add_order": "Place orders",
    "orders.change_order": "Edit open orders, their items and finish them",
    "orders.cancel_order": "Cancel orders",
}


def service_of(code: str) -> str:
    return code.split(".", 1)[0]
