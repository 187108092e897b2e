"""Chapter 05, crisis postmortem: mention series, onset and recovery, response time, excess mentions, impact."""
