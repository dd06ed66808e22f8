"""Use cases: one function per thing a user does. Services flush; the edge commits once."""
