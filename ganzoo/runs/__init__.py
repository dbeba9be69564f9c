"""The run folder: checkpoints, snapshots, the lock and the writer of its files (below the training loop)."""
