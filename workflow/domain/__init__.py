"""The pure complaint domain: states, actions, rules, calendar and clocks (no flask, no sqlalchemy)."""
