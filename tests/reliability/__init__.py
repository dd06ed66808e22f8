"""Issue #9: nothing acknowledged is lost under load, under faults, or with several machines."""
