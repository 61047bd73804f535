"""Factors: stateless strategies that enrol, challenge and verify one kind of authenticator.

The contract lives in `base.py`; `registry.py` lists the implemented factors explicitly.
"""
