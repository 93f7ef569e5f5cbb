"""Models built from ``autograd.Value``: neurons, layers, MLPs, losses, optimizers."""
