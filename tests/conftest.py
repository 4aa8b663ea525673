pytest_plugins = ["tests.fixtures.accounts", "tests.fixtures.templates"]
