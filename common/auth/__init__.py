"""Who is calling and what they may do: the JWT authentication and permission checks of
every API (``access``), the signing keys (``jwt_keys``), the admin's sign-in through
users_api (``admin_sign_in``), the actor recorded with a change (``actors``) and the
revoked users every service refuses (``revocations``).

It holds no permission codes (users_api owns the catalogue; each service names its own in
``settings.PERMISSION_CODES``) and no user model: users live in users_api only.
"""
