"""Handlers the HTTP worker test loads by ``module:function`` in a separate process."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from dissonance_trainer import sklearn_refit_handler

#: Refits a logistic regression per job.
logistic = sklearn_refit_handler(lambda: LogisticRegression(max_iter=300))
