"""Fuzzing of the reader, the engine and the formats (see README, "Hostile input and fuzzing")."""
