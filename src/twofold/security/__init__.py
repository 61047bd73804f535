"""The security core: key ring, password hashing, random identifiers, JOSE and attempt limits.

Nothing here knows about HTTP or SQL; flows and the store call in.
"""
