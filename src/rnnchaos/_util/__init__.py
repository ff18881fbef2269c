"""Small shared helpers: input validation, seeding, atomic file writes, progress bars."""
