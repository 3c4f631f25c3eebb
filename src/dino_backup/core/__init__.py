"""The engine: BackupManager and the work it delegates (create, verify, restore, ...)."""
