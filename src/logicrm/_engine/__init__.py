"""The columnar engine (polars): shipments read in batches into typed columns, aggregated per
customer, and the customers assessed column by column. Its public face is
``logicrm.frames``; the command line chooses it with ``--engine columnar``."""
