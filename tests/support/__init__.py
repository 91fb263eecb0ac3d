"""Helpers shared by the test modules: fakes, sample data, clients of a running platform.

Test modules import from here, never from one another or from a conftest; fixtures live in
the conftests. Nothing here is collected (no module is named test_*).
"""
