"""odc-pipeline: promote OutSystems Developer Cloud apps from one stage to the next from CI."""

__version__ = "0.1.0"
