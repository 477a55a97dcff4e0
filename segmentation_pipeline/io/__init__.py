"""Clients for the outside world: CRMs, enrichment vendors, the warehouse, alert sinks."""
