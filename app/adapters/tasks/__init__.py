"""Task engines that run batch-job turns (docs/jobs.md): Procrastinate on PostgreSQL."""
