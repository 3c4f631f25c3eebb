"""The `dino-backup` command line: thin commands over BackupManager."""
