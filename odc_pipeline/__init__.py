"""odc-pipeline: promote OutSystems Developer Cloud apps from one stage to the next from CI."""

__version__ = "1.0.0"
