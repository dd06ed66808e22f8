"""Aduflow's workflow: the pure domain, the persistence model and the use cases."""
