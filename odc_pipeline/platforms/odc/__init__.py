"""The ODC implementation of the platform seam (see :mod:`odc_pipeline.platforms.base`)."""

from odc_pipeline.platforms.odc.platform import ODC_CAPABILITIES, ODC_TERMS, OdcPlatform

__all__ = ["ODC_CAPABILITIES", "ODC_TERMS", "OdcPlatform"]
