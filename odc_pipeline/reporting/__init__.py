"""CI reporters: one back-end per CI, chosen from the environment."""
