"""Source adapters: each turns one landing file format into typed raw datasets + quarantine."""
