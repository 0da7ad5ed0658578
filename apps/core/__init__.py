"""The shared kernel: errors, encryption at rest, health, demo data registry."""
