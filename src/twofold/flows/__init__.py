"""Use cases as transport-free async functions: login, enrolment, challenge, verification..."""
