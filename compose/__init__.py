"""pycompose's Compose layer: file model, loader, planner, trio supervisor and CLI."""
