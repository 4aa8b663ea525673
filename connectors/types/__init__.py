"""Built-in connector types, one module or package each, built on
``connectors.sdk``. ``connectors.extensions`` lists them in the
``baton_connector_types`` hook, importing each when the catalogue is first read."""
