"""causalmix: causal discovery from unlabeled mixtures of interventional data."""

__version__ = "0.1.0"

__all__ = ["__version__"]
