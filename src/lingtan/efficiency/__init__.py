"""Energy efficiency: standards, grades, baselines and savings."""
