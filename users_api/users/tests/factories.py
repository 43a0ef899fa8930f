import factory

from users import services
from users.models import Role, User
from users.tokens import TokenPair

PASSWORD = "Correct-Horse-7-Battery"


def tokens(user: User) -> TokenPair:
    """Logs ``user`` (made with PASSWORD) in through the real service: its token pair."""
    return services.auth_login(username=user.username, password=PASSWORD, ip_address="127.0.0.1")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Ana"
    last_name = "Silva"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def grants(self, create, extracted, **kwargs):
        if extracted:
            self.permissions.set(extracted)
        if create:
            self.save()


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"role {n}")
    description = "A role for tests"

    @factory.post_generation
    def codes(self, create, extracted, **kwargs):
        if extracted:
            self.permissions.set(extracted)
