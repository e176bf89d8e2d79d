"""The pipeline engine: resolve, configure, build, impact-analysis, deploy, verify."""
