"""Energy efficiency: standards checks, baselines and savings (path 3 of the zero-carbon factory guidance)."""  # noqa: E501
