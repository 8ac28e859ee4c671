"""The readers: files opened in their encoding, delimiters found, rows read from CSV, JSON
Lines, Parquet and databases, and each cell mapped onto a record's field. Their public face is
``logicrm.io``; they import no engine."""
