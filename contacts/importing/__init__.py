"""Services of the import flow: upload and start (`uploading`), the run in a Celery task
(`running`), and export (`exporting`)."""

from contacts.importing.exporting import EXPORT_FORMATS, book_export
from contacts.importing.running import import_run
from contacts.importing.uploading import (
    DEFAULT_MAX_BYTES,
    import_start,
    import_status,
    import_upload,
    max_upload_bytes,
    too_large_error,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXPORT_FORMATS",
    "book_export",
    "import_run",
    "import_start",
    "import_status",
    "import_upload",
    "max_upload_bytes",
    "too_large_error",
]
