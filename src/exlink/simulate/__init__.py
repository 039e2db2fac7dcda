"""Backend-light mathematics on posterior draws: propagation, returns, portfolios."""
