"""Fakes of outside systems the tests start on local ports (never mocks of our own code)."""
