"""users_api's admin refuses what the API refuses: every change goes through users.services."""

import pytest
from django.test import Client

from common.api.errors import DomainError
from common.auth.actors import actor_of
from users import services
from users.models import LoginSession, Role, User
from users.tests.factories import PASSWORD, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_CODES = ["users.view_user", "users.add_user", "users.change_user", "clients.view_client"]
NOT_HELD = "You can only grant or remove permission codes you hold yourself."


def _admin(user):
    client = Client()
    client.force_login(user)
    return client


def _staff(*extra):
    return UserFactory(is_staff=True, grants=[*STAFF_CODES, *extra])


def _form(user, **changes):
    """The change form as the page would post it; a value of None unticks or empties."""
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on" if user.is_active else None,
        "is_staff": "on" if user.is_staff else None,
        "is_superuser": "on" if user.is_superuser else None,
        "roles": [str(role.pk) for role in user.roles.all()],
        "permissions": list(user.permissions.values_list("code", flat=True)),
        "_save": "Save",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _change(client, user, **changes):
    return client.post(f"/admin/users/user/{user.pk}/change/", _form(user, **changes))


def _codes(user):
    return set(user.permissions.values_list("code", flat=True))


# --- staff and superuser flags ----------------------------------------------------------


@pytest.mark.parametrize("whose", ["own", "other"])
def test_staff_are_not_offered_the_staff_and_superuser_flags(whose):
    staff = _staff()
    target = staff if whose == "own" else UserFactory()
    client = _admin(staff)
    page = client.get(f"/admin/users/user/{target.pk}/change/").content.decode()
    assert 'name="first_name"' in page
    assert 'name="is_staff"' not in page and 'name="is_superuser"' not in page
    # Posted anyway, they are not applied.
    response = _change(client, target, is_staff="on", is_superuser="on")
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_superuser is False
    assert target.is_staff is (whose == "own")


def test_the_services_refuse_the_flags_to_an_admin_actor_anyway():
    staff = _staff()
    actor = actor_of(staff)
    for flag in ("is_staff", "is_superuser"):
        with pytest.raises(DomainError) as refused:
            services.user_update(
                actor=actor, user_id=UserFactory().pk, expected_version=None, **{flag: True}
            )
        assert refused.value.code == "superuser_required"
    with pytest.raises(DomainError):
        services.user_create(
            actor=actor, username="x", email="x@example.com", password=PASSWORD, is_staff=True
        )


def test_a_superuser_changes_the_flags_in_the_admin():
    root = UserFactory(is_staff=True, is_superuser=True)
    target = UserFactory()
    version = target.version
    assert _change(_admin(root), target, is_staff="on").status_code == 302
    target.refresh_from_db()
    assert target.is_staff is True and target.version == version + 1


def test_a_superusers_account_is_read_only_for_staff():
    root = UserFactory(is_staff=True, is_superuser=True, first_name="Root")
    client = _admin(_staff())
    page = client.get(f"/admin/users/user/{root.pk}/change/").content.decode()
    assert 'name="first_name"' not in page and 'name="is_active"' not in page
    _change(client, root, first_name="Owned", is_active=None)
    root.refresh_from_db()
    assert root.first_name == "Root" and root.is_active


# --- codes and roles ----------------------------------------------------------------------


def test_staff_cannot_grant_codes_they_do_not_hold_in_the_admin():
    client = _admin(_staff())
    target = UserFactory()
    response = _change(client, target, permissions=["clients.view_client", "orders.cancel_order"])
    assert response.status_code == 200
    assert f"{NOT_HELD} (orders.cancel_order)" in response.content.decode()
    assert _codes(target) == set()


def test_staff_cannot_promote_themselves_in_the_admin():
    staff = _staff()
    response = _change(_admin(staff), staff, permissions=[*STAFF_CODES, "users.delete_user"])
    assert f"{NOT_HELD} (users.delete_user)" in response.content.decode()
    assert "users.delete_user" not in _codes(staff)


def test_staff_cannot_remove_codes_they_do_not_hold_in_the_admin():
    # The target holds a code the staff lacks: its page is read only, a post changes nothing.
    target = UserFactory(grants=["products.add_product", "clients.view_client"])
    client = _admin(_staff())
    page = client.get(f"/admin/users/user/{target.pk}/change/").content.decode()
    assert 'name="permissions"' not in page
    _change(client, target, permissions=[])
    assert _codes(target) == {"products.add_product", "clients.view_client"}
    with pytest.raises(DomainError) as refused:
        services.user_permissions_set(
            actor=actor_of(_staff()), user_id=target.pk, codes=[], expected_version=None
        )
    assert refused.value.code == "more_privileged_user"


def test_staff_cannot_add_or_remove_a_role_with_codes_they_do_not_hold_in_the_admin():
    client = _admin(_staff())
    strong = RoleFactory(codes=["clients.view_client", "products.add_product"])
    target = UserFactory()
    added = _change(client, target, roles=[str(strong.pk)])
    assert f"{NOT_HELD} (products.add_product)" in added.content.decode()
    assert not target.roles.exists()
    target.roles.add(strong)
    with pytest.raises(DomainError) as refused:
        services.user_roles_set(
            actor=actor_of(_staff()), user_id=target.pk, role_ids=[], expected_version=None
        )
    assert refused.value.code == "more_privileged_user"
    assert list(target.roles.all()) == [strong]


def test_a_refused_part_undoes_the_rest_of_the_save():
    target = UserFactory(first_name="Ana")
    version = target.version
    _change(_admin(_staff()), target, first_name="Changed", permissions=["orders.cancel_order"])
    target.refresh_from_db()
    assert target.first_name == "Ana" and target.version == version


def test_changes_within_the_actors_codes_go_through_the_services():
    target = UserFactory(grants=["users.view_user"])
    role = RoleFactory(codes=["clients.view_client"])
    response = _change(
        _admin(_staff()),
        target,
        first_name="Bia",
        roles=[str(role.pk)],
        permissions=["users.view_user", "users.add_user"],
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.first_name == "Bia"
    assert list(target.roles.all()) == [role]
    assert _codes(target) == {"users.view_user", "users.add_user"}


def test_nobody_deactivates_themselves_in_the_admin():
    staff = _staff()
    response = _change(_admin(staff), staff, is_active=None)
    assert "You cannot deactivate your own account." in response.content.decode()
    staff.refresh_from_db()
    assert staff.is_active


def test_deactivating_in_the_admin_ends_the_users_logins(tokens_for):
    target = UserFactory()
    tokens_for(target)
    assert _change(_admin(_staff()), target, is_active=None).status_code == 302
    assert LoginSession.objects.get(user=target).revoked_reason == "user_deactivated"


def test_users_are_deactivated_never_deleted_in_the_admin():
    root = UserFactory(is_staff=True, is_superuser=True)
    target = UserFactory()
    assert _admin(root).get(f"/admin/users/user/{target.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=target.pk).exists()


# --- creating users and setting passwords ---------------------------------------------------


def test_adding_a_user_in_the_admin_goes_through_the_service():
    client = _admin(_staff())
    weak = client.post(
        "/admin/users/user/add/",
        {"username": "novo", "email": "novo@example.com", "password1": "123", "password2": "123"},
    )
    assert weak.status_code == 200
    assert "This password is too short" in weak.content.decode()
    taken = client.post(
        "/admin/users/user/add/",
        {
            "username": "novo",
            "email": _staff().email.upper(),  # emails are unique case-insensitively
            "password1": "Sabia-2-Laranjeira",
            "password2": "Sabia-2-Laranjeira",
        },
    )
    assert "A user with this email already exists." in taken.content.decode()
    assert not User.objects.filter(username="novo").exists()


def test_only_a_superuser_sets_another_users_password_in_the_admin(tokens_for):
    target = UserFactory()
    url = f"/admin/users/user/{target.pk}/password/"
    body = {"password1": "Nova-Senha-42x", "password2": "Nova-Senha-42x", "usable_password": "true"}
    assert _admin(_staff()).post(url, body).status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    tokens_for(target)
    root = UserFactory(is_staff=True, is_superuser=True)
    assert _admin(root).post(url, body).status_code == 302
    target.refresh_from_db()
    assert target.check_password("Nova-Senha-42x")
    assert LoginSession.objects.get(user=target).revoked_reason == "password_set"
    with pytest.raises(DomainError):
        services.user_password_set(
            actor=actor_of(_staff()), user_id=target.pk, password="Outra-Senha-42x"
        )


# --- roles ------------------------------------------------------------------------------------


def _role_admin(*codes):
    return _admin(
        UserFactory(
            is_staff=True,
            grants=[
                "users.view_role",
                "users.add_role",
                "users.change_role",
                "users.delete_role",
                *codes,
            ],
        )
    )


def test_staff_cannot_cut_down_a_role_by_codes_they_do_not_hold_in_the_admin():
    role = RoleFactory(name="Vendas", codes=["clients.view_client", "products.add_product"])
    client = _role_admin("clients.view_client")
    url = f"/admin/users/role/{role.pk}/change/"
    cut = client.post(
        url, {"name": "Vendas", "description": "", "permissions": ["clients.view_client"]}
    )
    assert f"{NOT_HELD} (products.add_product)" in cut.content.decode()
    role.refresh_from_db()
    assert set(role.permissions.values_list("code", flat=True)) == {
        "clients.view_client",
        "products.add_product",
    }
    # Not offered for deletion, and refused if asked.
    assert client.get(f"/admin/users/role/{role.pk}/delete/").status_code == 403
    assert client.post(f"/admin/users/role/{role.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Role.objects.filter(pk=role.pk).exists()


def test_staff_cannot_add_a_role_with_codes_they_do_not_hold_in_the_admin():
    client = _role_admin("clients.view_client")
    response = client.post(
        "/admin/users/role/add/",
        {"name": "Nova", "description": "", "permissions": ["orders.cancel_order"]},
    )
    assert f"{NOT_HELD} (orders.cancel_order)" in response.content.decode()
    assert not Role.objects.filter(name="Nova").exists()


def test_roles_within_the_actors_codes_are_added_changed_and_deleted_in_the_admin():
    client = _role_admin("clients.view_client", "orders.view_order")
    added = client.post(
        "/admin/users/role/add/",
        {"name": "Nova", "description": "d", "permissions": ["clients.view_client"]},
    )
    assert added.status_code == 302
    role = Role.objects.get(name="Nova")
    assert list(role.permissions.values_list("code", flat=True)) == ["clients.view_client"]
    changed = client.post(
        f"/admin/users/role/{role.pk}/change/",
        {"name": "Nova", "description": "d", "permissions": ["orders.view_order"]},
    )
    assert changed.status_code == 302
    role.refresh_from_db()
    assert list(role.permissions.values_list("code", flat=True)) == ["orders.view_order"]
    deleted = client.post(f"/admin/users/role/{role.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not Role.objects.filter(pk=role.pk).exists()


def test_staff_are_not_offered_bulk_deletion_of_roles():
    client = _role_admin("clients.view_client")
    role = RoleFactory(codes=["products.add_product"])
    response = client.post(
        "/admin/users/role/",
        {"action": "delete_selected", "_selected_action": [str(role.pk)], "post": "yes"},
    )
    assert Role.objects.filter(pk=role.pk).exists()
    assert response.status_code in (200, 302)


# --- how the admin writes (common.admin.model_admins.ServiceWritesAdmin) ---------------------


def test_an_added_user_is_the_one_the_service_wrote_and_its_page_follows():
    client = _admin(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/users/user/add/",
        {
            "username": "nova",
            "email": "Nova@Example.COM",
            "password1": "Sabia-2-Laranjeira",
            "password2": "Sabia-2-Laranjeira",
        },
    )
    user = User.objects.get(username="nova")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/users/user/{user.pk}/change/"
    assert user.email == "Nova@example.com"  # normalized by the service
    assert user.version == 1 and user.check_password("Sabia-2-Laranjeira")


def test_duplicates_are_refused_on_the_form_with_messages_for_people():
    client = _admin(UserFactory(is_staff=True, is_superuser=True))
    UserFactory(username="tomado")
    taken = client.post(
        "/admin/users/user/add/",
        {
            "username": "tomado",
            "email": "outro@example.com",
            "password1": "Sabia-2-Laranjeira",
            "password2": "Sabia-2-Laranjeira",
        },
    )
    assert "A user with this username already exists." in taken.content.decode()
    RoleFactory(name="Vendas")
    role = RoleFactory(name="Caixa")
    renamed = client.post(
        f"/admin/users/role/{role.pk}/change/",
        {"name": "VENDAS", "description": "", "permissions": []},
    )
    assert renamed.status_code == 200
    assert "A role with this name already exists." in renamed.content.decode()
    role.refresh_from_db()
    assert role.name == "Caixa" and role.version == 1


def test_a_refused_change_comes_back_with_what_was_typed():
    target = UserFactory(first_name="Ana")
    response = _change(
        _admin(_staff()), target, first_name="Typed", permissions=["orders.cancel_order"]
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{NOT_HELD} (orders.cancel_order)" in page
    assert 'value="Typed"' in page


def test_each_part_of_a_change_is_one_service_write():
    target = UserFactory()
    role = RoleFactory(codes=["clients.view_client"])
    version = target.version
    response = _change(_admin(_staff()), target, last_name="Souza", roles=[str(role.pk)])
    assert response.status_code == 302
    target.refresh_from_db()
    # user_update, then user_roles_set: one version each, and nothing saved besides.
    assert target.last_name == "Souza" and target.version == version + 2
    assert list(target.roles.all()) == [role]
    unchanged = _change(_admin(_staff()), target)
    assert unchanged.status_code == 302
    target.refresh_from_db()
    assert target.version == version + 2


def test_roles_added_in_the_admin_are_written_once_by_the_service():
    client = _role_admin("clients.view_client")
    response = client.post(
        "/admin/users/role/add/",
        {"name": "Balcão", "description": "d", "permissions": ["clients.view_client"]},
    )
    role = Role.objects.get(name="Balcão")
    assert response.status_code == 302
    assert role.version == 1
    assert list(role.permissions.values_list("code", flat=True)) == ["clients.view_client"]
