"""SQL persistence: models, engine and session handling, and one repository module per resource."""
