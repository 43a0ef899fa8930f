import factory

from clients.models import Address, Client


def cpf(seed: int) -> str:
    """A valid CPF built from ``seed`` (its check digits computed)."""
    base = [int(c) for c in f"{seed % 10**9:09d}"]
    if len(set(base)) == 1:
        base[-1] = (base[-1] + 1) % 10
    for weight in (10, 11):
        remainder = sum(d * (weight - i) for i, d in enumerate(base)) * 10 % 11
        base.append(0 if remainder == 10 else remainder)
    return "".join(map(str, base))


def cnpj(seed: int) -> str:
    """A valid numeric CNPJ built from ``seed``."""
    values = [int(c) for c in f"{seed % 10**8:08d}0001"]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        values.append(0 if remainder < 2 else 11 - remainder)
    return "".join(map(str, values))


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    kind = Client.Kind.INDIVIDUAL
    name = factory.Sequence(lambda n: f"Cliente {n:04d}")
    document = factory.Sequence(lambda n: cpf(123456000 + n))
    email = factory.Sequence(lambda n: f"cliente{n}@example.com")
    phone = "11912345678"


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    client = factory.SubFactory(ClientFactory)
    label = "Casa"
    street = "Avenida Paulista"
    number = "1000"
    district = "Bela Vista"
    city = "São Paulo"
    state = "SP"
    postal_code = "01310100"
