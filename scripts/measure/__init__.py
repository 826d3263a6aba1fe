"""Pieces shared by the evaluation and benchmark scripts: reports, the running assistant, simulated volunteers."""
