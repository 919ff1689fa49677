"""Device models, one module per family; all share the interface in :mod:`memsnn.devices.base`."""
