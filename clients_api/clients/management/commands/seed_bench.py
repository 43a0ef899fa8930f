"""``manage.py seed_bench N``: the clients `make bench` measures against (scripts/bench.py)."""

from django.core.management.base import BaseCommand, CommandParser

from clients.services import address_create, client_create


def bench_cpf(n: int) -> str:
    """A valid CPF made from ``n`` (nine digits and their two check digits)."""
    digits = [int(c) for c in f"{n:09d}"]
    for width in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(width, 1, -1), strict=True))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, digits))


class Command(BaseCommand):
    help = "Creates N bench clients with two addresses each, through the services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int)

    def handle(self, *args, count: int, **options) -> None:
        for n in range(count):
            client = client_create(
                actor=None,  # the system, not a person
                kind="individual",
                name=f"Cliente Bench {n:04d}",
                document=bench_cpf(100000000 + n * 7919),
                email=f"cliente{n:04d}@example.com",
                phone="11987654321",
            )
            for label, street in (("Casa", "Rua das Flores"), ("Trabalho", "Avenida Paulista")):
                address_create(
                    actor=None,
                    client_id=client.pk,
                    label=label,
                    street=street,
                    number=str(n + 1),
                    complement="",
                    district="Centro",
                    city="São Paulo",
                    state="SP",
                    postal_code="01310100",
                )
            if n % 250 == 249:
                self.stdout.write(f"    clients_api: {n + 1} clients")
