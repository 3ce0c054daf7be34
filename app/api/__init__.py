"""HTTP API: thin routers over the application services."""
