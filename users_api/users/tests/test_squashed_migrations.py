"""The migrations up to the label-only one squashed (issue #36): a new database migrates
through the squash, and a database the code before it migrated goes on migrating and
records it, so existing databases need nothing done by hand."""

from common.development.testing import squashed_migration_tests

TestSquashedMigration = squashed_migration_tests(
    app_label="users", squash="0001_squashed_0002_translated_labels"
)
