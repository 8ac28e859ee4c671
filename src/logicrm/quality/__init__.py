"""Service quality: service measures, SERVQUAL, the five gaps and complaint SLAs."""

__all__: list[str] = []
