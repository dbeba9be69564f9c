"""Run folders: what a training run leaves on disk and who may write it.

One owner each: the checkpoint file and the run metadata (``checkpoint``), the folder lock
(``lock``, taken only by ``writer``), numbered snapshots and the best weights (``snapshots``), the
logs, TensorBoard events and sample grids (``writer``). The training loop writes
through these; ``report``, ``export`` and ``loading`` read through them.
"""
