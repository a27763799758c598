"""Handlers of ``npm run example:remote-trainer``, loaded by ``module:function`` in the worker it starts.

The same functions serve every transport (HTTP or a broker): a handler only sees a ``TrainingJob``.

- ``--model cnn`` runs ``cnn_handler:handle`` (``python/examples/cnn_handler.py``), the PyTorch CNN handler
  that docs/external-trainers.md shows verbatim.
- ``--model sklearn`` runs :data:`gradient_boosting` below: the reference scikit-learn refit handler on a
  gradient-boosting classifier.
"""

from __future__ import annotations

from sklearn.ensemble import GradientBoostingClassifier

from dissonance_trainer import sklearn_refit_handler

#: Refits a gradient-boosting classifier on each job's snapshot (sample weights honoured) and exports it.
gradient_boosting = sklearn_refit_handler(
    lambda: GradientBoostingClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=0)
)
