"""Routers of the hosted pages, one module per page family."""
