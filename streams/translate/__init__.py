"""From a source system's decoded record to distflow's internal commands. Pure: no I/O, `now` passed in.

A translation either yields commands (each with its topic and key) or rejects the event with a reason; a
rejected event becomes a dead letter, never a silent drop.
"""
