"""Request and response schemas: they document the wire format in /openapi.json."""
