"""How much of a listing's description is read, each cut written once.

Two cuts, in this order: the service (the API, ``rescore`` and ``make score``) hands the model at most
``MODEL_DESCRIPTION_CHARS`` of a description (``model.schema.bound_description``; the stored snapshot keeps it
all), and the text features read at most ``FEATURE_DESCRIPTION_CHARS`` of that (the default of
``model.text_vectorizers.TextFeatureConfig.max_description_chars``; a model's config may say less).
"""

from __future__ import annotations

# The service's default for SOI_MODEL_DESCRIPTION_CHARS (serving.settings.Settings.model_description_chars).
MODEL_DESCRIPTION_CHARS = 5_000
# The default text config's cut (model.text_vectorizers.TextFeatureConfig.max_description_chars).
FEATURE_DESCRIPTION_CHARS = 1_500
