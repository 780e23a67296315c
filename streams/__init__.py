"""The shell: batch engine, agents, snapshot writer, API, CLI. Everything that does I/O lives here."""
