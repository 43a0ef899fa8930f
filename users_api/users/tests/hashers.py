from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2Hasher(Argon2PasswordHasher):
    """Argon2id with minimal cost, for tests only; hashes verify with the real hasher."""

    time_cost = 1
    memory_cost = 256
    parallelism = 1
