from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from orders import selectors, services


class Command(BaseCommand):
    help = (
        "Ask products_api to reserve the stock of every open order still pending (the "
        "orders open when reservations were deployed): each is re-published as it is. "
        "Idempotent: run it again and nothing is reserved twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk", type=int, default=500, help="Orders per transaction (default 500)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        order_ids = selectors.open_order_ids_awaiting_stock()
        chunk = options["chunk"]
        asked = 0
        for start in range(0, len(order_ids), chunk):
            asked += services.orders_stock_ask_again(order_ids=order_ids[start : start + chunk])
            self.stdout.write(f"{asked} of {len(order_ids)} open orders asked ...")
        self.stdout.write(f"{asked} open orders asked (the relay publishes them)")
